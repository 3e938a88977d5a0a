"""One widget class per page. Each reads the `Flow` in `refresh()` and writes back only the member's intents."""

from kiosk.ui.pages.attract import AttractPage
from kiosk.ui.pages.execution import ExecutionPage
from kiosk.ui.pages.info import InfoPage
from kiosk.ui.pages.operator import OperatorPage
from kiosk.ui.pages.rest import RestPage
from kiosk.ui.pages.setup import SetupPage
from kiosk.ui.pages.strap import StrapPage
from kiosk.ui.pages.summary import SummaryPage
from kiosk.ui.pages.welcome import WelcomePage

__all__ = ["AttractPage", "ExecutionPage", "InfoPage", "OperatorPage", "RestPage", "SetupPage", "StrapPage",
           "SummaryPage", "WelcomePage"]
