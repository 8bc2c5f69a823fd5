from livecam.tracking.identity import IdAssigner, iou


def test_iou_of_identical_and_disjoint_boxes():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_ids_follow_moving_faces_and_new_faces_get_new_ids():
    ids = IdAssigner()
    a, b = (0, 0, 100, 100), (300, 0, 400, 100)
    first = ids.assign([a, b])
    moved = ids.assign([(310, 5, 410, 105), (10, 5, 110, 105)])  # order swapped, moved
    assert moved == [first[1], first[0]]
    third = ids.assign([(10, 5, 110, 105), (310, 5, 410, 105), (600, 0, 700, 100)])
    assert third[2] not in first


def test_a_briefly_hidden_face_keeps_its_id_but_a_long_gone_one_does_not():
    ids = IdAssigner(keep_frames=3)
    (face,) = ids.assign([(0, 0, 100, 100)])
    ids.assign([])
    assert ids.assign([(0, 0, 100, 100)]) == [face]
    for _ in range(5):
        ids.assign([])
    assert ids.assign([(0, 0, 100, 100)]) != [face]
