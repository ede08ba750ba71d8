"""SLA clocks coming due: the scheduler that ticks, and what each due clock asks for."""
