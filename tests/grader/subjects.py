"""Source code of the small stand-in packages the runner and sandbox tests grade.

A correct ``affine_forward`` and the body of a correct ``affine_backward``;
tests replace the backward's body with the hostile or faulty code under test.
"""

GOOD_FORWARD = """
import numpy as np

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)
"""

GOOD_BODY = """
x, w, b = cache
dx = (dout @ w.T).reshape(x.shape)
dw = x.reshape(x.shape[0], -1).T @ dout
db = dout.sum(axis=0)
return dx, dw, db
"""
