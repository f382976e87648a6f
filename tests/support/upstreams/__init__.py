"""Loopback fake upstreams that speak each upstream's real wire format (tests only)."""
