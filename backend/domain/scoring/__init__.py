"""The shortlisting exercise: working-group members score the upfront proposals on a meeting's
agenda against the partnership's criteria before the meeting, and the group walks in with a
ranking and the line where the money runs out.

`criteria` keeps each partnership's criteria; `rounds` opens and closes scoring for a meeting;
`scores` takes a member's scores (or their declared conflict); `ranking` is the arithmetic, plain
and exact; `results` reads a round back as the ranking, the progress and the scores once shown.
"""
