"""Hand-written reference renderers: the teachers the stylizer networks are distilled from."""
