"""Sound: the microphone, recordings' sound track and the delayed microphone passthrough."""
