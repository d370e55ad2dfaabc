using System.Security.Cryptography;
using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity;

/// <summary>Outcome of a TOTP operation.</summary>
internal enum TotpOutcome
{
    Success,
    Invalid,
    Replayed,
    LockedOut,
    NotEnrolled,
    AlreadyEnrolled,
    NoPendingEnrolment,
}

/// <summary>An enrolment in progress: the secret to show once (QR and base32) until the citizen confirms it.</summary>
internal sealed record TotpEnrolment(byte[] Secret, string KeyUri);

/// <summary>
/// The TOTP second factor of citizen accounts (RFC 6238). Secrets are sealed with the master-key-derived AES-GCM key
/// and bound to their row; a code is accepted once (its time step must be later than the last accepted one); wrong
/// codes at sign-in and when switching the factor off count toward the account lockout like wrong passwords.
/// </summary>
internal sealed partial class TotpManager(
    ICertLibraryDatabase database,
    PersonalDataProtector protector,
    IOptions<CertLibraryDataOptions> store,
    CitizenManager citizens,
    IOptions<IdentityOptions> options,
    TimeProvider time,
    ILogger<TotpManager> logger)
{
    /// <summary>How long a shown, unconfirmed secret stays valid (reloading the page within it shows the same one).</summary>
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(15);

    private readonly byte[] _recoveryKey = RecoveryCodes.DeriveKey(store.Value.MasterKey);

    /// <summary>The citizen's row when a second factor may be enrolled; otherwise why not (unknown, or already enrolled).</summary>
    private async Task<(CitizenManager.CitizenRow? Row, TotpOutcome Refused)> FindEnrollableAsync(string subject, CancellationToken cancellationToken) =>
        await citizens.FindRowBySubjectAsync(subject, cancellationToken) switch
        {
            null => (null, TotpOutcome.NotEnrolled),
            { Citizen.TotpEnabled: true } => (null, TotpOutcome.AlreadyEnrolled),
            var row => (row, TotpOutcome.Success),
        };

    public async Task<(TotpOutcome Outcome, TotpEnrolment? Enrolment)> BeginEnrolmentAsync(string subject, CancellationToken cancellationToken)
    {
        var (row, refused) = await FindEnrollableAsync(subject, cancellationToken);
        if (row is null)
        {
            return (refused, null);
        }

        var now = time.GetUtcNow();
        byte[] secret;
        if (row.SealedTotpPending is { } pending && row.TotpPendingAt is { } at && now - at < PendingLifetime)
        {
            secret = protector.Open(pending, PendingAad(row.HolderKey));
        }
        else
        {
            secret = Totp.NewSecret();
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE identity_citizens SET sealed_totp_pending = @sealed, totp_pending_at = @now, updated_at = @now " +
                "WHERE holder_key = @holderKey AND sealed_totp_secret IS NULL",
                new { @sealed = protector.Seal(secret, PendingAad(row.HolderKey)), now, holderKey = row.HolderKey },
                cancellationToken: cancellationToken));
        }

        return (TotpOutcome.Success, new TotpEnrolment(secret, Totp.KeyUri(secret, row.Citizen.Name)));
    }

    /// <summary>
    /// Switches the factor on when <paramref name="code"/> is a current code of the pending secret, and issues the account's
    /// <see cref="RecoveryCodes.Count"/> recovery codes in the same transaction; they are returned this once.
    /// </summary>
    public async Task<(TotpOutcome Outcome, IReadOnlyList<string>? RecoveryCodes)> ConfirmEnrolmentAsync(string subject, string code, CancellationToken cancellationToken)
    {
        var (row, refused) = await FindEnrollableAsync(subject, cancellationToken);
        if (row is null)
        {
            return (refused, null);
        }

        var now = time.GetUtcNow();
        if (row.SealedTotpPending is not { } pending || row.TotpPendingAt is not { } at || now - at >= PendingLifetime)
        {
            return (TotpOutcome.NoPendingEnrolment, null);
        }

        var secret = protector.Open(pending, PendingAad(row.HolderKey));
        if (Totp.MatchStep(secret, Totp.Normalise(code), now) is not { } step)
        {
            return (TotpOutcome.Invalid, null);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_citizens SET sealed_totp_secret = @sealed, sealed_totp_pending = NULL, totp_pending_at = NULL, totp_last_step = @step, " +
            "updated_at = @now WHERE holder_key = @holderKey AND sealed_totp_secret IS NULL AND sealed_totp_pending = @pending",
            new { @sealed = protector.Seal(secret, SecretAad(row.HolderKey)), step, now, holderKey = row.HolderKey, pending },
            transaction, cancellationToken: cancellationToken));
        if (updated != 1)
        {
            return (TotpOutcome.NoPendingEnrolment, null);
        }

        var codes = await ReplaceRecoveryCodesAsync(connection, transaction, row.HolderKey, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogEnabled(logger, subject);
        return (TotpOutcome.Success, codes);
    }

    /// <summary>
    /// Replaces the recovery codes of an enrolled citizen with a fresh set (the old ones stop working); returns them this
    /// once. The caller checks the password first.
    /// </summary>
    public async Task<(TotpOutcome Outcome, IReadOnlyList<string>? RecoveryCodes)> RegenerateRecoveryCodesAsync(string subject, CancellationToken cancellationToken)
    {
        var row = await citizens.FindRowBySubjectAsync(subject, cancellationToken);
        if (row is not { Citizen.TotpEnabled: true })
        {
            return (TotpOutcome.NotEnrolled, null);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var codes = await ReplaceRecoveryCodesAsync(connection, transaction, row.HolderKey, time.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRecoveryCodesRegenerated(logger, subject);
        return (TotpOutcome.Success, codes);
    }

    /// <summary>How many unused recovery codes the citizen has.</summary>
    public async Task<int> RecoveryCodesLeftAsync(string subject, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM identity_recovery_codes r JOIN identity_citizens c ON c.holder_key = r.holder_key WHERE c.subject = @subject",
            new { subject }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Checks a recovery code at the second-factor step instead of a TOTP code. A right code is used up (deleted in one
    /// statement, so two requests with the same code cannot both succeed) and clears the failure count; a wrong or used
    /// one counts as a failed sign-in toward the lockout.
    /// </summary>
    public async Task<TotpOutcome> VerifyRecoveryCodeAsync(string subject, string code, CancellationToken cancellationToken)
    {
        var row = await citizens.FindRowBySubjectAsync(subject, cancellationToken);
        if (row is not { Citizen.TotpEnabled: true })
        {
            return TotpOutcome.NotEnrolled;
        }

        if (citizens.IsLockedOut(row))
        {
            return TotpOutcome.LockedOut;
        }

        var used = 0;
        if (RecoveryCodes.Normalise(code) is { } normalised)
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            used = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM identity_recovery_codes WHERE holder_key = @holderKey AND code_hash IN (@hash, @legacyHash)",
                new
                {
                    holderKey = row.HolderKey,
                    hash = RecoveryCodes.Hash(_recoveryKey, row.HolderKey, normalised),
                    legacyHash = RecoveryCodes.LegacyHash(row.HolderKey, normalised), // stored before the keyed form
                },
                cancellationToken: cancellationToken));
        }

        if (used != 1)
        {
            LogRecoveryCodeRejected(logger, subject);
            return await citizens.RecordFailureAsync(row, options.Value, cancellationToken) == LoginOutcome.LockedOut ? TotpOutcome.LockedOut : TotpOutcome.Invalid;
        }

        await citizens.ResetFailuresAsync(row, cancellationToken);
        LogRecoveryCodeUsed(logger, subject);
        return TotpOutcome.Success;
    }

    private async Task<IReadOnlyList<string>> ReplaceRecoveryCodesAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string holderKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var codes = RecoveryCodes.Generate();
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity_recovery_codes WHERE holder_key = @holderKey", new { holderKey }, transaction, cancellationToken: cancellationToken));
        foreach (var code in codes)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO identity_recovery_codes (holder_key, code_hash, created_at) VALUES (@holderKey, @hash, @now)",
                new { holderKey, hash = RecoveryCodes.Hash(_recoveryKey, holderKey, code), now }, transaction, cancellationToken: cancellationToken));
        }

        return codes;
    }

    /// <summary>
    /// Checks a sign-in code. A wrong code, or a right code of a step already used, counts as a failed sign-in; a right
    /// code clears the failure count (the password was checked before).
    /// </summary>
    public async Task<TotpOutcome> VerifyAsync(string subject, string code, CancellationToken cancellationToken)
    {
        var row = await citizens.FindRowBySubjectAsync(subject, cancellationToken);
        if (row?.SealedTotpSecret is not { } sealedSecret)
        {
            return TotpOutcome.NotEnrolled;
        }

        if (citizens.IsLockedOut(row))
        {
            return TotpOutcome.LockedOut;
        }

        var now = time.GetUtcNow();
        var secret = protector.Open(sealedSecret, SecretAad(row.HolderKey));
        var step = Totp.MatchStep(secret, Totp.Normalise(code), now);
        CryptographicOperations.ZeroMemory(secret);
        if (step is null)
        {
            LogCodeRejected(logger, subject);
            return await citizens.RecordFailureAsync(row, options.Value, cancellationToken) == LoginOutcome.LockedOut ? TotpOutcome.LockedOut : TotpOutcome.Invalid;
        }

        // Single use: only a step later than the last accepted one; one statement, so two requests with the same code
        // cannot both succeed.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var accepted = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_citizens SET totp_last_step = @step, updated_at = @now " +
            "WHERE holder_key = @holderKey AND (totp_last_step IS NULL OR totp_last_step < @step)",
            new { step, now, holderKey = row.HolderKey }, cancellationToken: cancellationToken));
        if (accepted != 1)
        {
            LogCodeReplayed(logger, subject);
            return await citizens.RecordFailureAsync(row, options.Value, cancellationToken) == LoginOutcome.LockedOut ? TotpOutcome.LockedOut : TotpOutcome.Replayed;
        }

        await citizens.ResetFailuresAsync(row, cancellationToken);
        return TotpOutcome.Success;
    }

    /// <summary>Switches the factor off; needs a current (unused) code, checked like a sign-in code.</summary>
    public async Task<TotpOutcome> DisableAsync(string subject, string code, CancellationToken cancellationToken)
    {
        var outcome = await VerifyAsync(subject, code, cancellationToken);
        if (outcome != TotpOutcome.Success)
        {
            return outcome;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_citizens SET sealed_totp_secret = NULL, sealed_totp_pending = NULL, totp_pending_at = NULL, updated_at = @now WHERE subject = @subject",
            new { subject, now = time.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity_recovery_codes WHERE holder_key IN (SELECT holder_key FROM identity_citizens WHERE subject = @subject)",
            new { subject }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        LogDisabled(logger, subject);
        return TotpOutcome.Success;
    }

    private static string SecretAad(string holderKey) => "identity-totp:" + holderKey;

    private static string PendingAad(string holderKey) => "identity-totp-pending:" + holderKey;

    [LoggerMessage(Level = LogLevel.Information, EventId = 4040, Message = "Audit: TOTP second factor enabled for citizen {Subject}")]
    private static partial void LogEnabled(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4041, Message = "Audit: TOTP second factor disabled for citizen {Subject}")]
    private static partial void LogDisabled(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4042, Message = "Audit: wrong TOTP code for citizen {Subject}")]
    private static partial void LogCodeRejected(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4043, Message = "Audit: replayed TOTP code for citizen {Subject}")]
    private static partial void LogCodeReplayed(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4044, Message = "Audit: recovery code used for citizen {Subject}")]
    private static partial void LogRecoveryCodeUsed(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4045, Message = "Audit: wrong or used recovery code for citizen {Subject}")]
    private static partial void LogRecoveryCodeRejected(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4046, Message = "Audit: recovery codes regenerated for citizen {Subject}")]
    private static partial void LogRecoveryCodesRegenerated(ILogger logger, string subject);
}
