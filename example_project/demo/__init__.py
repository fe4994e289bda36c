"""The demo app: a KYC profile per user, marked verified by a passed liveness check."""
