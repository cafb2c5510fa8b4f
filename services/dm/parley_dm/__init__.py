"""Parley's DM service: each conversation between two users (`conv_<low>_<high>`) is an
event stream; every event is published to both participants on
`dm.evt.user.<userId>.<type>`. Keeps each user's inbox and the blocks between users."""
