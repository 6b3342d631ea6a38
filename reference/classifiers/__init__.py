"""Models built from the layers: fully-connected nets and a three-layer convnet."""
