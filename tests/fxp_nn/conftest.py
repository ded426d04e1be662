"""Fixtures shared by the fxp_nn tests."""
import pytest


@pytest.fixture
def cli_error(capsys):
    """``cli_error(main, argv, prog)``: run a command line expected to refuse ``argv``; check the
    refusal is one line ``prog: error: ...`` on stderr with exit status 2 and no traceback, and
    return that line."""
    def run(main, argv, prog):
        capsys.readouterr()
        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code
        err = capsys.readouterr().err
        assert status == 2 and "Traceback" not in err, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), err
        return lines[0]
    return run
