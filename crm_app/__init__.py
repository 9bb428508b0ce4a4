"""crm_app: a multi-tenant CRM for businesses that run AI voice agents."""
