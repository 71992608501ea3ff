from tests.integration.erp_world import hub, receiver, smtp_sink  # noqa: F401  (fixtures)
from tests.integration.faultbed import bed_factory  # noqa: F401  (fixture)
from tests.integration.ui_world import ui_world  # noqa: F401  (fixture)
from tests.integration.world import world  # noqa: F401  (fixture)
