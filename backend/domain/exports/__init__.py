"""Exports for the OPCC: the spend-sheet workbooks and the 360Giving data package.

`data.gather` reads everything for a set of partnership-years in a fixed number of queries;
`workbook` and `giving360` only shape what it returns.
"""
