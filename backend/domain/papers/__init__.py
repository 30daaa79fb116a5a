"""The papers a partnership owes, written from the ledger and the reports already recorded: the
Working Group update (a Word document), the OPCC monitoring return and the year-end return
(workbooks), and the closing of a year after its return."""
