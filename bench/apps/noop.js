// Does nothing: the start-up cost of the preload alone.
