namespace CertLibrary.Cli;

/// <summary>Exit codes of every <c>certlib</c> command (documented in README, "Bulk import").</summary>
internal static class ExitCodes
{
    /// <summary>Everything done: every row of the file is a certificate, or the backup is written and checked.</summary>
    public const int Ok = 0;

    /// <summary>Bad command line or bad input: unreadable file, invalid rows (without <c>--skip-invalid</c>), a state of other content.</summary>
    public const int InvalidInput = 1;

    /// <summary>The import ran but some rows are not certificates: refused by the server, skipped as invalid, or a batch refused whole.</summary>
    public const int PartialFailure = 2;

    /// <summary>The API could not be reached (after retries) or refused the credentials. Re-run the same command to resume.</summary>
    public const int Unavailable = 3;

    /// <summary><c>verify</c>: the API answered, and the QR is not valid (invalid, revoked, suspended, expired, unknown issuer).</summary>
    public const int NotValid = 4;
}
