"""Contains all the data models used in inputs/outputs"""

from .capacity import Capacity
from .error import Error
from .filesystem import Filesystem
from .filesystems_post_request import FilesystemsPostRequest
from .instance import Instance
from .instance_state import InstanceState
from .instance_tags import InstanceTags
from .instance_type import InstanceType
from .instances_post_request import InstancesPostRequest
from .instances_post_request_tags import InstancesPostRequestTags
from .kubernetes_cluster import KubernetesCluster
from .kubernetes_node_pool import KubernetesNodePool
from .project import Project
from .project_state import ProjectState
from .project_tags import ProjectTags
from .projects_post_request import ProjectsPostRequest
from .projects_post_request_tags import ProjectsPostRequestTags
from .slurm_cluster import SlurmCluster
from .slurm_node_pool import SlurmNodePool

__all__ = (
    "Capacity",
    "Error",
    "Filesystem",
    "FilesystemsPostRequest",
    "Instance",
    "InstanceState",
    "InstanceTags",
    "InstanceType",
    "InstancesPostRequest",
    "InstancesPostRequestTags",
    "KubernetesCluster",
    "KubernetesNodePool",
    "Project",
    "ProjectState",
    "ProjectTags",
    "ProjectsPostRequest",
    "ProjectsPostRequestTags",
    "SlurmCluster",
    "SlurmNodePool",
)
