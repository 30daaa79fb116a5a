"""The underspend forecast: spend profiles, figures at any date, roll-ups and who sees them.

A project's profile is its planned spend by quarter (`profiles`); at any date it has a planned
and a spent to date, a variance, and a forecast of its year-end spend by one rule (`rule.RULE`):

    A project is forecast to spend what it has spent so far plus the rest of its profile at the
    pace it has kept so far (spent to date ÷ planned to date), never more than it was approved.

Rolled up per pot, per partnership-year and across partnerships (`figures`), the forecast
underspend is the approved and uncommitted money expected to be left on 31 March. `access`
says who sees how much; `margins` when a project counts as behind; `alerts` what the clock
tells leads and admins.
"""
