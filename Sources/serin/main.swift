print("serin")
