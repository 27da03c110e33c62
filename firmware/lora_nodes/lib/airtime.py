"""LoRa time on air (Semtech AN1200.13 / SX1276 datasheet formula).

Tsym = 2^SF / BW; Tpreamble = (n_preamble + 4.25) Tsym;
n_payload = 8 + max(ceil((8 PL - 4 SF + 28 + 16 CRC - 20 IH) / (4 (SF - 2 DE))) (CR + 4), 0).
PL is the PHYPayload; a LoRaWAN uplink adds 13 bytes to the FRMPayload (MHDR 1, FHDR 7,
FPort 1, MIC 4, no FOpts).
"""

LORAWAN_OVERHEAD = 13


def symbol_ms(sf, bw_khz=125):
    return (1 << sf) / bw_khz


def payload_symbols(pl, sf, bw_khz=125, cr=1, explicit_header=True, crc=True, ldro=None):
    if ldro is None:  # LoRaWAN: low-data-rate optimisation at SF11/SF12 on 125 kHz
        ldro = bw_khz == 125 and sf >= 11
    num = 8 * pl - 4 * sf + 28 + (16 if crc else 0) - (0 if explicit_header else 20)
    den = 4 * (sf - (2 if ldro else 0))
    blocks = -(-num // den)  # ceil for integers
    if blocks < 0:
        blocks = 0
    return 8 + blocks * (cr + 4)


def time_on_air_ms(pl, sf, bw_khz=125, cr=1, preamble=8, explicit_header=True, crc=True, ldro=None):
    """Airtime in ms of a ``pl``-byte PHYPayload (cr=1 means coding rate 4/5)."""
    ts = symbol_ms(sf, bw_khz)
    n = payload_symbols(pl, sf, bw_khz, cr, explicit_header, crc, ldro)
    return (preamble + 4.25) * ts + n * ts


def uplink_ms(frm_len, sf, bw_khz=125):
    """Airtime of a LoRaWAN uplink carrying ``frm_len`` application bytes."""
    return time_on_air_ms(frm_len + LORAWAN_OVERHEAD, sf, bw_khz)
