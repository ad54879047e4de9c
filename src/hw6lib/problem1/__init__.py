"""Problem 1: backpropagation in a scalar sigmoid chain, fitted to ``y = sigmoid(x)``.

:mod:`~hw6lib.problem1.chain` (the chain, its gradient by the backward recursion, the loss),
:mod:`~hw6lib.problem1.simulate` (the published data), :mod:`~hw6lib.problem1.fit` (the solver:
BFGS fits and the multi-start search for every local minimum), :mod:`~hw6lib.problem1.gradcheck`
(the gradient against finite differences and autograd) and :mod:`~hw6lib.problem1.depths` (the
fits of one depth, the comparison across depths).
"""
