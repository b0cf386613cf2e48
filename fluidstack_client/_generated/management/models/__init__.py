"""Contains all the data models used in inputs/outputs"""

from .cluster import Cluster
from .cluster_health import ClusterHealth
from .cluster_type import ClusterType
from .create_invitation_body import CreateInvitationBody
from .error import Error
from .instance import Instance
from .instance_health import InstanceHealth
from .instance_state import InstanceState
from .instance_tags import InstanceTags
from .invitation import Invitation
from .organization import Organization
from .organization_member import OrganizationMember
from .region import Region
from .relation import Relation
from .ssh_key import SSHKey
from .update_member_body import UpdateMemberBody
from .update_member_body_role import UpdateMemberBodyRole

__all__ = (
    "Cluster",
    "ClusterHealth",
    "ClusterType",
    "CreateInvitationBody",
    "Error",
    "Instance",
    "InstanceHealth",
    "InstanceState",
    "InstanceTags",
    "Invitation",
    "Organization",
    "OrganizationMember",
    "Region",
    "Relation",
    "SSHKey",
    "UpdateMemberBody",
    "UpdateMemberBodyRole",
)
