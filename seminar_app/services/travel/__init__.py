"""Travel, accommodation and airport pick-up (issue 17).

Modules: ``settings`` (the event's travel setting, cut-off and hotels), ``plans`` (a
registration's arrival, departure and accommodation: the rules and the one use case that
changes them), ``airports`` (IATA codes), ``boards`` (arrivals and departures boards, rooming
list, room-block use, dashboard figures), ``rooming_xlsx`` (the rooming list workbook).
"""
