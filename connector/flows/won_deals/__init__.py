"""The won-deals flow kind (SFA → CRM): Closed Won opportunities become deals, companies and customers."""

from connector.flows.won_deals.flow import WonDeals

__all__ = ["WonDeals"]
