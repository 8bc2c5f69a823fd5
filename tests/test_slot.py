import threading
import time

from livecam.loop.slot import LatestSlot


def test_live_slot_keeps_only_the_newest_item_and_counts_drops():
    slot: LatestSlot[int] = LatestSlot(live=True)
    for i in range(5):
        assert slot.put(i)
    assert slot.get(timeout_s=0) == 4
    assert slot.dropped == 4
    assert slot.get(timeout_s=0.01) is None


def test_offline_slot_waits_for_the_consumer_so_nothing_is_dropped():
    slot: LatestSlot[int] = LatestSlot(live=False)
    got = []

    def consume():
        while (item := slot.get()) is not None:
            got.append(item)
            time.sleep(0.001)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for i in range(50):
        slot.put(i)
    slot.close()
    consumer.join(timeout=5)
    assert got == list(range(50))
    assert slot.dropped == 0


def test_closed_slot_hands_out_its_last_item_then_none_and_refuses_puts():
    slot: LatestSlot[str] = LatestSlot()
    slot.put("last")
    slot.close()
    assert not slot.put("late")
    assert slot.get() == "last"
    assert slot.get() is None
