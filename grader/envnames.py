"""The environment variables the grader's processes pass to each other (a leaf: it imports nothing).

``grader.notebooks`` sets them for a notebook's kernel and ``grader.notebook_api``
reads them inside it; ``grader.sandbox`` reads ``SANDBOX_ENV``.
"""

#: The package the notebooks exercise (``student`` unless set).
IMPL_ENV = "A2KIT_IMPL"
#: The notebooks' fast mode: "1", "true" or "yes" shrink their training runs.
FAST_ENV = "A2KIT_FAST"
#: The project root a kernel or a sandboxed run works in.
ROOT_ENV = "A2KIT_ROOT"
#: ``bwrap`` (require bubblewrap), ``limits`` (resource limits only), unset or ``auto``.
SANDBOX_ENV = "A2KIT_SANDBOX"
#: The implementation under test when ``IMPL_ENV`` is unset.
DEFAULT_IMPLEMENTATION = "student"
