import pytest

from livecam.errors import PresetError
from livecam.paths import user_preset_dir
from livecam.preset import available_presets, load_preset, parse_preset


def test_every_builtin_preset_loads_with_a_description():
    names = available_presets()
    assert {"passthrough", "landmarks"} <= set(names)
    for name in names:
        assert load_preset(name).description


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(PresetError, match=r"unknown preset 'landmark'; did you mean "
                                          r"'landmarks'\?; known presets: .*passthrough"):
        load_preset("landmark")


@pytest.mark.parametrize("text,message", [
    ('effect = "landmarks"\n[tracking]\nmax_face = 2\n',
     r"x.toml \[tracking\]: unknown key 'max_face'; did you mean 'max_faces'\?"),
    ('effect = "landmarks"\n[tracking]\nmax_faces = true\n',
     r"x.toml \[tracking\]: key 'max_faces' must be an integer, got True"),
    ('effect = "landmarks"\n[tracking]\nmax_faces = 40\n',
     r"x.toml \[tracking\]: tracking.max_faces must be 1 to 16, got 40"),
    ('effect = "sparkles"\n', r"x.toml: key 'effect' must be one of passthrough, landmarks"),
    ('effect = "landmarks"\n[landmarks]\ncolor = [1, 2]\n',
     r"x.toml \[landmarks\]: key 'color' must be a list of 3 integers"),
    ('effect = "landmarks"\n[landmarks]\ncolor = [inf, 0, 0]\n',
     r"x.toml \[landmarks\]: key 'color' must be a list of 3 integers, got \[inf"),
    ('effect = "landmarks"\n[tracking]\nbeta = nan\n',
     r"x.toml \[tracking\]: key 'beta' must be a finite number, got nan"),
    ('effect = "landmarks"\n[landmark]\nmesh = false\n',
     r"x.toml: unknown key 'landmark'; did you mean 'landmarks'\?"),
    ('effect = "landmarks"\ndescription = \n', r"x.toml: not valid TOML"),
])
def test_malformed_presets_name_file_key_and_allowed_values(text, message):
    with pytest.raises(PresetError, match=message):
        parse_preset("x", text, "x.toml")


def test_integer_is_accepted_where_a_number_is_expected():
    preset = parse_preset("x", 'effect = "landmarks"\n[tracking]\nbeta = 1\n', "x.toml")
    assert preset.tracking.beta == 1.0 and isinstance(preset.tracking.beta, float)


def test_user_preset_overrides_the_builtin_of_the_same_name():
    folder = user_preset_dir()
    folder.mkdir(parents=True)
    (folder / "landmarks.toml").write_text(
        'description = "mine"\neffect = "landmarks"\n[landmarks]\nmesh = false\n')
    preset = load_preset("landmarks")
    assert preset.description == "mine" and preset.effect_settings.mesh is False
