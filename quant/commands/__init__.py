"""The sub-commands of ``python -m quant``: one module each, with ``add_arguments(parser)`` and
``run(args)`` (:func:`common.cli.command_parser`); :mod:`quant.commands.options` holds what
they share."""
