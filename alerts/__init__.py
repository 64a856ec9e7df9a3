"""Threshold and anomaly alerts on a tenant's metrics, with signed webhook deliveries."""
