"""The chain's one home: a tenant computed once (:class:`Workspace`, in ``chain``) and a usage
file larger than memory allocated in chunks (:func:`allocate_file`, in ``stream``)."""

from toolkit.workspace.chain import Workspace
from toolkit.workspace.stream import allocate_file

__all__ = ["Workspace", "allocate_file"]
