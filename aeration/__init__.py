"""Aerators on ponds, switched by LoRaWAN relay controllers through the network server."""
