using System.Data.Common;
using System.Text;
using CertLibrary.Data;
using CertLibrary.Identifiers;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Identity;

/// <summary>A citizen account. The identity number is not part of it: it is only stored sealed.</summary>
/// <param name="Subject">Opaque, stable <c>sub</c> (random; never derived from the identity number).</param>
/// <param name="Name">Name as registered.</param>
/// <param name="TotpEnabled">Whether a TOTP second factor is enrolled.</param>
/// <param name="CreatedAt">Registration time.</param>
public sealed record Citizen(string Subject, string Name, bool TotpEnabled, DateTimeOffset CreatedAt);

/// <summary>Outcome of <see cref="CitizenManager.RegisterAsync"/>.</summary>
public enum CitizenRegistrationStatus
{
    /// <summary>The account was created.</summary>
    Created,

    /// <summary>This identity number already has an account.</summary>
    AlreadyRegistered,

    /// <summary>The password is shorter than 8 or longer than 128 characters.</summary>
    InvalidPassword,

    /// <summary>The name is empty or longer than 100 characters.</summary>
    InvalidName,
}

/// <summary>Sign-in state of a citizen account, as administrators see it (no identity number).</summary>
/// <param name="Subject">Opaque subject.</param>
/// <param name="TotpEnabled">Whether a TOTP second factor is enrolled.</param>
/// <param name="LockedOut">Whether the account is locked after repeated failures at this moment.</param>
/// <param name="LockedUntil">End of the lockout, when locked.</param>
public sealed record CitizenAccountStatus(string Subject, bool TotpEnabled, bool LockedOut, DateTimeOffset? LockedUntil);

/// <summary>Outcome of a password check.</summary>
internal enum LoginOutcome
{
    Success,
    Invalid,
    LockedOut,
}

/// <summary>Result of a registration: the citizen when created.</summary>
/// <param name="Status">Outcome.</param>
/// <param name="Citizen">The new account when <see cref="CitizenRegistrationStatus.Created"/>.</param>
public sealed record CitizenRegistrationResult(CitizenRegistrationStatus Status, Citizen? Citizen);

/// <summary>
/// Citizen accounts: registration at a counter, lookup by subject, password checks with per-account lockout.
/// Identity numbers are stored sealed (AES-GCM) and found through their keyed hash; passwords through
/// <see cref="PasswordHasher{TUser}"/> (PBKDF2), computed on the dedicated hashing threads (<see cref="PasswordHashing"/>).
/// </summary>
public sealed partial class CitizenManager(
    ICertLibraryDatabase database,
    PersonalDataProtector protector,
    TimeProvider time,
    ILogger<CitizenManager> logger)
{
    private static readonly PasswordHasher<Citizen> Hasher = new();
    private static readonly Citizen DummyCitizen = new("dummy", "dummy", false, DateTimeOffset.UnixEpoch);
    private static readonly string DummyHash = Hasher.HashPassword(DummyCitizen, "not a password of anyone");

    /// <summary>Registers a citizen; the identity number must not have an account yet.</summary>
    public async Task<CitizenRegistrationResult> RegisterAsync(CitizenId citizenId, string name, string password, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100)
        {
            return new(CitizenRegistrationStatus.InvalidName, null);
        }

        if (password is null || password.Length < 8 || password.Length > 128)
        {
            return new(CitizenRegistrationStatus.InvalidPassword, null);
        }

        var now = time.GetUtcNow();
        var citizen = new Citizen(SecretHasher.NewSecret(24), name.Trim(), false, now);
        var holderKey = protector.HolderKey(citizenId);
        var passwordHash = await PasswordHashing.Shared.RunAsync(() => Hasher.HashPassword(citizen, password), cancellationToken);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_citizens (holder_key, subject, sealed_citizen_id, name, sealed_name, password_hash, failed_logins, created_at, updated_at) " +
            "VALUES (@holderKey, @subject, @sealed, '', @sealedName, @hash, 0, @now, @now) ON CONFLICT (holder_key) DO NOTHING",
            new
            {
                holderKey,
                subject = citizen.Subject,
                @sealed = protector.Seal(Encoding.ASCII.GetBytes(citizenId.ToString()), Aad(holderKey)),
                sealedName = SealName(citizen.Name, holderKey),
                hash = passwordHash,
                now,
            },
            cancellationToken: cancellationToken));
        if (rows == 0)
        {
            return new(CitizenRegistrationStatus.AlreadyRegistered, null);
        }

        LogRegistered(logger, citizen.Subject);
        return new(CitizenRegistrationStatus.Created, citizen);
    }

    /// <summary>The citizen with this subject, or null.</summary>
    public async Task<Citizen?> FindBySubjectAsync(string subject, CancellationToken cancellationToken = default)
    {
        var row = await FindRowBySubjectAsync(subject, cancellationToken);
        return row?.Citizen;
    }

    /// <summary>The citizen holding this identity number, or null.</summary>
    public async Task<Citizen?> FindByCitizenIdAsync(CitizenId citizenId, CancellationToken cancellationToken = default)
    {
        var row = await FindRowAsync("holder_key = @holderKey", new { holderKey = protector.HolderKey(citizenId) }, cancellationToken);
        return row?.Citizen;
    }

    /// <summary>The identity number of a citizen (for the <c>citizen_id</c> claim only), or null.</summary>
    public async Task<CitizenId?> GetCitizenIdAsync(string subject, CancellationToken cancellationToken = default)
    {
        var row = await FindRowBySubjectAsync(subject, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var number = Encoding.ASCII.GetString(protector.Open(row.SealedCitizenId, Aad(row.HolderKey)));
        return CitizenId.TryParse(number, out var id, out _) ? id : null;
    }

    /// <summary>
    /// Checks a password with per-account lockout: <see cref="IdentityOptions.LockoutThreshold"/> failures within
    /// <see cref="IdentityOptions.LockoutWindow"/> lock the account for that window, even for the right password.
    /// </summary>
    internal async Task<(LoginOutcome Outcome, Citizen? Citizen)> CheckPasswordAsync(
        CitizenId citizenId, string password, IdentityOptions options, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var holderKey = protector.HolderKey(citizenId);
        var row = await FindRowAsync("holder_key = @holderKey", new { holderKey }, cancellationToken);
        if (row is null)
        {
            return (await CheckUnknownAsync(holderKey, password, options, cancellationToken), null);
        }

        if (row.LockedUntil is { } lockedUntil && lockedUntil > now)
        {
            LogLockedOut(logger, row.Citizen.Subject);
            return (LoginOutcome.LockedOut, null);
        }

        var verification = await PasswordHashing.Shared.RunAsync(
            () => Hasher.VerifyHashedPassword(row.Citizen, row.PasswordHash, password ?? string.Empty), cancellationToken);
        if (verification != PasswordVerificationResult.Failed)
        {
            // With a second factor the count is reset only once the code is right too: otherwise the password alone
            // would reset it between guesses and code failures could never reach the lockout threshold.
            if (!row.Citizen.TotpEnabled)
            {
                await ResetFailuresAsync(row, cancellationToken);
            }

            return (LoginOutcome.Success, row.Citizen);
        }

        return (await RecordFailureAsync(row, options, cancellationToken), null);
    }

    /// <summary>
    /// Administrator recovery: switches the citizen's TOTP second factor off (secret, pending enrolment, last step and
    /// recovery codes removed in one transaction) so the citizen signs in with the password and may enrol again. Audited
    /// with the administrator's client id and the opaque subject, never the identity number. Null for an unknown subject.
    /// </summary>
    public async Task<CitizenAccountStatus?> ResetSecondFactorAsync(string subject, string administrator, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_citizens SET sealed_totp_secret = NULL, sealed_totp_pending = NULL, totp_pending_at = NULL, totp_last_step = NULL, " +
            "updated_at = @now WHERE subject = @subject",
            new { subject, now }, transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity_recovery_codes WHERE holder_key IN (SELECT holder_key FROM identity_citizens WHERE subject = @subject)",
            new { subject }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        LogSecondFactorReset(logger, administrator, subject);
        return await GetStatusAsync(subject, cancellationToken);
    }

    /// <summary>
    /// Administrator recovery: lifts a lockout and clears the failure count. Audited like
    /// <see cref="ResetSecondFactorAsync"/>. Null for an unknown subject.
    /// </summary>
    public async Task<CitizenAccountStatus?> UnlockAsync(string subject, string administrator, CancellationToken cancellationToken = default)
    {
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            if (await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE identity_citizens SET failed_logins = 0, first_failure_at = NULL, locked_until = NULL, updated_at = @now WHERE subject = @subject",
                new { subject, now = time.GetUtcNow() }, cancellationToken: cancellationToken)) == 0)
            {
                return null;
            }
        }

        LogUnlocked(logger, administrator, subject);
        return await GetStatusAsync(subject, cancellationToken);
    }

    /// <summary>Second factor and lockout state of an account, or null for an unknown subject.</summary>
    public async Task<CitizenAccountStatus?> GetStatusAsync(string subject, CancellationToken cancellationToken = default) =>
        await FindRowBySubjectAsync(subject, cancellationToken) is { } row
            ? new CitizenAccountStatus(row.Citizen.Subject, row.Citizen.TotpEnabled, IsLockedOut(row), row.LockedUntil is { } until && IsLockedOut(row) ? until : null)
            : null;

    /// <summary>Whether the account is locked at this moment.</summary>
    internal bool IsLockedOut(CitizenRow row) => row.LockedUntil is { } lockedUntil && lockedUntil > time.GetUtcNow();

    /// <summary>Clears the failure count after a complete, successful sign-in.</summary>
    internal async Task ResetFailuresAsync(CitizenRow row, CancellationToken cancellationToken)
    {
        if (row.FailedLogins > 0 || row.LockedUntil is not null)
        {
            await using var reset = await database.OpenConnectionAsync(cancellationToken);
            await reset.ExecuteAsync(new CommandDefinition(
                "UPDATE identity_citizens SET failed_logins = 0, first_failure_at = NULL, locked_until = NULL WHERE holder_key = @holderKey",
                new { holderKey = row.HolderKey }, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// Counts one failed authentication (wrong password or wrong second-factor code); locks the account when the count
    /// reaches <see cref="IdentityOptions.LockoutThreshold"/> within <see cref="IdentityOptions.LockoutWindow"/>.
    /// </summary>
    internal async Task<LoginOutcome> RecordFailureAsync(CitizenRow row, IdentityOptions options, CancellationToken cancellationToken)
    {
        var outcome = await CountFailureAsync("identity_citizens", row.HolderKey, options, cancellationToken);
        if (outcome == LoginOutcome.LockedOut)
        {
            LogLockedOut(logger, row.Citizen.Subject);
        }

        return outcome;
    }

    /// <summary>
    /// A sign-in with a number that has no account, answered like one with an account: the same lockout (checked before
    /// the hash, counted after it, by the same statements on <c>identity_unknown_login_failures</c>) and a hash of the same
    /// cost through the same queue, so neither the answer nor its timing tells which numbers have accounts.
    /// </summary>
    private async Task<LoginOutcome> CheckUnknownAsync(string holderKey, string? password, IdentityOptions options, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                "SELECT locked_until FROM identity_unknown_login_failures WHERE holder_key = @holderKey", new { holderKey }, cancellationToken: cancellationToken));
            if (await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0) && reader.GetFieldValue<DateTimeOffset>(0) > now)
            {
                return LoginOutcome.LockedOut;
            }
        }

        await PasswordHashing.Shared.RunAsync(() => Hasher.VerifyHashedPassword(DummyCitizen, DummyHash, password ?? string.Empty), cancellationToken);

        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            // Rows whose window and lock have both passed count for nothing any more: dropped, so the table holds only live
            // counts; then the number's row exists for the count below, as an account's always does.
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM identity_unknown_login_failures WHERE (first_failure_at IS NULL OR first_failure_at < @windowStart) " +
                "AND (locked_until IS NULL OR locked_until <= @now); " +
                "INSERT INTO identity_unknown_login_failures (holder_key, failed_logins, updated_at) VALUES (@holderKey, 0, @now) ON CONFLICT (holder_key) DO NOTHING",
                new { holderKey, windowStart = now - options.LockoutWindow, now }, cancellationToken: cancellationToken));
        }

        return await CountFailureAsync("identity_unknown_login_failures", holderKey, options, cancellationToken);
    }

    /// <summary>
    /// Counts one failed authentication of the row keyed by <paramref name="holderKey"/> in <paramref name="table"/> (the
    /// accounts, or the numbers without one); locks it when the count reaches <see cref="IdentityOptions.LockoutThreshold"/>
    /// within <see cref="IdentityOptions.LockoutWindow"/>.
    /// </summary>
    private async Task<LoginOutcome> CountFailureAsync(string table, string holderKey, IdentityOptions options, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();

        // Counted in one statement so concurrent failures cannot undercount.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var windowStart = now - options.LockoutWindow;
        var failures = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"UPDATE {table} SET " +
            "failed_logins = CASE WHEN first_failure_at IS NULL OR first_failure_at < @windowStart THEN 1 ELSE failed_logins + 1 END, " +
            "first_failure_at = CASE WHEN first_failure_at IS NULL OR first_failure_at < @windowStart THEN @now ELSE first_failure_at END, " +
            "updated_at = @now WHERE holder_key = @holderKey RETURNING failed_logins",
            new { holderKey, windowStart, now }, cancellationToken: cancellationToken));
        if (failures < options.LockoutThreshold)
        {
            return LoginOutcome.Invalid;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE {table} SET locked_until = @lockedUntil, failed_logins = 0, first_failure_at = NULL WHERE holder_key = @holderKey",
            new { holderKey, lockedUntil = now + options.LockoutWindow }, cancellationToken: cancellationToken));
        return LoginOutcome.LockedOut;
    }

    internal Task<CitizenRow?> FindRowBySubjectAsync(string subject, CancellationToken cancellationToken) =>
        FindRowAsync("subject = @subject", new { subject }, cancellationToken);

    internal async Task<CitizenRow?> FindRowAsync(string where, object args, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "SELECT holder_key, subject, sealed_citizen_id, name, password_hash, sealed_totp_secret, failed_logins, first_failure_at, locked_until, created_at, " +
            "sealed_totp_pending, totp_pending_at, totp_last_step, sealed_name " +
            $"FROM identity_citizens WHERE {where}", args, cancellationToken: cancellationToken));
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return Read(reader);
    }

    /// <summary>
    /// Seals the names of rows written before names were sealed (migration V007): each name is sealed into
    /// <c>sealed_name</c> and its clear column emptied, in batches, each row only while it is still unsealed (so nodes
    /// starting together do not overwrite each other). Returns how many rows it sealed; called at start-up.
    /// </summary>
    public async Task<int> SealClearNamesAsync(CancellationToken cancellationToken = default)
    {
        const int batch = 500;
        var sealedRows = 0;
        while (true)
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var rows = (await connection.QueryAsync<(string HolderKey, string Name)>(new CommandDefinition(
                $"SELECT holder_key, name FROM identity_citizens WHERE sealed_name IS NULL ORDER BY holder_key LIMIT {batch}",
                cancellationToken: cancellationToken))).ToList();
            if (rows.Count == 0)
            {
                break;
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var (holderKey, name) in rows)
            {
                sealedRows += await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE identity_citizens SET sealed_name = @sealedName, name = '' WHERE holder_key = @holderKey AND sealed_name IS NULL",
                    new { holderKey, sealedName = SealName(name, holderKey) }, transaction, cancellationToken: cancellationToken));
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (sealedRows > 0)
        {
            LogNamesSealed(logger, sealedRows);
        }

        return sealedRows;
    }

    private CitizenRow Read(DbDataReader reader)
    {
        var totp = reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5);
        var holderKey = reader.GetString(0);
        var name = reader.IsDBNull(13) ? reader.GetString(3) : Encoding.UTF8.GetString(protector.Open(reader.GetFieldValue<byte[]>(13), NameAad(holderKey)));
        return new CitizenRow(
            holderKey,
            new Citizen(reader.GetString(1), name, totp is not null, reader.GetFieldValue<DateTimeOffset>(9)),
            reader.GetFieldValue<byte[]>(2),
            reader.GetString(4),
            totp,
            reader.GetInt32(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
            reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
            reader.IsDBNull(10) ? null : reader.GetFieldValue<byte[]>(10),
            reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
            reader.IsDBNull(12) ? null : reader.GetInt64(12));
    }

    private static string Aad(string holderKey) => "identity-citizen:" + holderKey;

    private static string NameAad(string holderKey) => "identity-citizen-name:" + holderKey;

    private byte[] SealName(string name, string holderKey) => protector.Seal(Encoding.UTF8.GetBytes(name), NameAad(holderKey));

    [LoggerMessage(Level = LogLevel.Information, EventId = 4010, Message = "Audit: citizen {Subject} registered")]
    private static partial void LogRegistered(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4014, Message = "Sealed the clear names of {Count} citizen accounts")]
    private static partial void LogNamesSealed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4011, Message = "Audit: citizen {Subject} is locked out after repeated login failures")]
    private static partial void LogLockedOut(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4012, Message = "Audit: administrator {Administrator} reset the second factor of citizen {Subject}")]
    private static partial void LogSecondFactorReset(ILogger logger, string administrator, string subject);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4013, Message = "Audit: administrator {Administrator} unlocked citizen {Subject}")]
    private static partial void LogUnlocked(ILogger logger, string administrator, string subject);

    internal sealed record CitizenRow(
        string HolderKey, Citizen Citizen, byte[] SealedCitizenId, string PasswordHash, byte[]? SealedTotpSecret,
        int FailedLogins, DateTimeOffset? FirstFailureAt, DateTimeOffset? LockedUntil,
        byte[]? SealedTotpPending, DateTimeOffset? TotpPendingAt, long? TotpLastStep);
}
