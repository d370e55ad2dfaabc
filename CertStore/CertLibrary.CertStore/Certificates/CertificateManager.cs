using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Data;
using CertLibrary.Identifiers;
using CertLibrary.TransparencyLog;

namespace CertLibrary.CertStore.Certificates;

/// <summary>
/// The business rules of certificates: who may issue, see and change what (谁发证、谁管理), schema validation,
/// signing, status transitions, idempotency. Every write happens in one store transaction together with its
/// transparency-log entry.
/// </summary>
public sealed class CertificateManager(
    ICertificateStore store,
    ICertificateSigner signer,
    PersonalDataProtector protector,
    TimeProvider time)
{
    /// <summary>Largest batch <see cref="IssueBatchAsync"/> accepts.</summary>
    public const int MaxBatchSize = 1000;

    /// <summary>Below this many certificates a write signs on the calling thread; above, on every core.</summary>
    private const int ParallelSigningThreshold = 8;

    private readonly ConditionalWeakTable<StoredCertificate, Unsealed> _unsealed = new();

    /// <summary>Issues one certificate.</summary>
    public async Task<CertStoreResult<Certificate>> IssueAsync(Caller caller, IssueCommand command, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var batch = await IssueBatchAsync(caller, [command], idempotencyKey, cancellationToken);
        if (!batch.Succeeded)
        {
            return batch.Error!;
        }

        var item = batch.Value![0];
        return item.Error is null ? item.Certificate! : item.Error;
    }

    /// <summary>Issues up to <see cref="MaxBatchSize"/> certificates; each item is answered on its own.</summary>
    public async Task<CertStoreResult<IReadOnlyList<BatchItemResult>>> IssueBatchAsync(
        Caller caller, IReadOnlyList<IssueCommand> requests, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (requests.Count is 0 or > MaxBatchSize)
        {
            return CertStoreError.Invalid("items", $"A batch holds 1 to {MaxBatchSize} certificates.");
        }

        var keyError = ValidateIdempotencyKey(idempotencyKey);
        if (keyError is not null)
        {
            return keyError;
        }

        var now = Now();
        var prepared = new PreparedIssue?[requests.Count];
        var results = new BatchItemResult[requests.Count];
        var types = new Dictionary<string, CertificateType?>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            var outcome = await PrepareAsync(caller, requests[i], types, now, cancellationToken);
            if (outcome.Succeeded)
            {
                prepared[i] = outcome.Value;
            }
            else
            {
                results[i] = new BatchItemResult(i, null, outcome.Error);
            }
        }

        // Only an idempotent retry compares requests: without a key there is nothing to hash.
        var requestHash = idempotencyKey is null ? null : Hash(JsonSerializer.SerializeToUtf8Bytes(requests, CertStoreJson.Options));
        var scope = $"{caller.ClientId}:issue";
        var signers = new Dictionary<string, IIssuerSigner>(StringComparer.Ordinal);
        var issuerNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var issuer in prepared.OfType<PreparedIssue>().Select(p => p.Issuer.ToString()).Distinct())
        {
            signers[issuer] = await signer.ForIssuerAsync(issuer, cancellationToken);
            issuerNames[issuer] = (await store.FindDepartmentAsync(issuer, cancellationToken))?.Name ?? issuer;
        }

        await using var tx = await store.BeginWriteAsync(cancellationToken);
        if (idempotencyKey is not null)
        {
            var previous = await tx.FindIdempotencyAsync(scope, idempotencyKey, cancellationToken);
            if (previous is not null)
            {
                return previous.RequestHash == requestHash
                    ? await ReplayAsync(previous, cancellationToken)
                    : new CertStoreError(CertStoreErrorKind.Conflict, "idempotency-key-reused",
                        "This Idempotency-Key was used with a different request.");
            }
        }

        var positions = new List<int>(requests.Count);
        var writes = new List<NewWrite>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (prepared[i] is not { } item)
            {
                continue;
            }

            var issuer = item.Issuer.ToString();
            positions.Add(i);
            writes.Add(new NewWrite(signers[issuer], item with { IssuerName = issuerNames[issuer] }, CertificateId.NewRandom(item.Type, item.Issuer), null));
        }

        var certificates = await WriteNewAsync(tx, writes, "issue", now, cancellationToken);
        for (var k = 0; k < positions.Count; k++)
        {
            results[positions[k]] = new BatchItemResult(positions[k], certificates[k], null);
        }

        if (idempotencyKey is not null)
        {
            var record = new IdempotencyRecord(requestHash!, 200, JsonSerializer.Serialize(results.Select(ToReplay), CertStoreJson.Options));
            await tx.SaveIdempotencyAsync(scope, idempotencyKey, record, now, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return results;
    }

    /// <summary>Issues a new version of <paramref name="id"/>; the old version is revoked as superseded.</summary>
    public async Task<CertStoreResult<Certificate>> NewVersionAsync(Caller caller, string id, NewVersionCommand request, CancellationToken cancellationToken)
    {
        var now = Now();
        var current = await FindManagedAsync(caller, id, cancellationToken);
        if (!current.Succeeded)
        {
            return current.Error!;
        }

        var old = current.Value!;
        var oldPayload = Unseal(old).Payload;
        var type = (await store.FindTypeAsync(old.TypeCode, cancellationToken))!;
        var issue = new IssueCommand
        {
            Type = CertificateTypeCode.Parse(old.TypeCode),
            Holder = oldPayload.Holder.CreditCode is { } creditCode
                ? HolderId.ForOrganization(CreditCode.Parse(creditCode))
                : CitizenId.Parse(oldPayload.Holder.IdNumber!, time),
            HolderName = request.HolderName ?? oldPayload.Holder.Name,
            Number = request.Number ?? oldPayload.Number,
            ValidFrom = request.ValidFrom,
            ValidUntil = request.ValidUntil,
            Fields = request.Fields ?? (JsonObject)oldPayload.Fields.DeepClone(),
        };
        var prepared = await PrepareAsync(caller with { DepartmentCode = old.IssuerCode }, issue, new() { [type.Code] = type }, now, cancellationToken);
        if (!prepared.Succeeded)
        {
            return prepared.Error!;
        }

        var issuerSigner = await signer.ForIssuerAsync(old.IssuerCode, cancellationToken);
        await using var tx = await store.BeginWriteAsync(cancellationToken);
        var locked = await tx.FindForUpdateAsync(old.Id, cancellationToken);
        if (locked is null || locked.SupersededBy is not null || locked.Status == CertificateStatus.Revoked)
        {
            return new CertStoreError(CertStoreErrorKind.Conflict, "not-current",
                locked?.SupersededBy is not null ? $"Certificate was already superseded by {locked.SupersededBy}." : "A revoked certificate cannot get a new version.");
        }

        var oldId = CertificateId.Parse(old.Id);
        if (oldId.Version >= CertificateId.MaxVersion)
        {
            return new CertStoreError(CertStoreErrorKind.Conflict, "version-limit", "The certificate has reached its last version (999).");
        }

        var newId = oldId.NextVersion();
        var certificate = (await WriteNewAsync(tx, [new NewWrite(issuerSigner, prepared.Value! with { IssuerName = oldPayload.Issuer.Name }, newId, old.Id)], LogEventTypes.Supersede, now, cancellationToken))[0];
        await tx.UpdateStatusAsync(locked, CertificateStatus.Revoked, StatusReasonCodes.Superseded, null, newId.ToString(), now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return certificate;
    }

    /// <summary>
    /// Suspends, reinstates or revokes. <paramref name="reasonCode"/> is one of <see cref="StatusReasonCodes"/> (not
    /// <c>superseded</c>, which only a new version sets); without it, a free-text <paramref name="reason"/> alone counts as
    /// <c>other</c>. The code goes to the transparency log; the text is sealed. Repeating the same change with the same
    /// code answers the current state; another code is a conflict.
    /// </summary>
    public async Task<CertStoreResult<Certificate>> ChangeStatusAsync(
        Caller caller, string id, StatusAction action, string? reasonCode, string? reason, CancellationToken cancellationToken)
    {
        reason = reason?.Trim();
        if (reason?.Length > 500)
        {
            return CertStoreError.Invalid("reason", "The reason is at most 500 characters.");
        }

        reason = string.IsNullOrEmpty(reason) ? null : reason;
        var code = reasonCode ?? (reason is null ? null : StatusReasonCodes.Other);
        if (!StatusReasonCodes.IsKnown(code) || code == StatusReasonCodes.Superseded)
        {
            return CertStoreError.Invalid("reasonCode", code == StatusReasonCodes.Superseded
                ? "superseded is set by issuing a new version (POST …/versions)."
                : "A reasonCode is required, one of: " + string.Join(", ", StatusReasonCodes.All.Where(c => c != StatusReasonCodes.Superseded)) + ".");
        }

        var visible = await FindManagedAsync(caller, id, cancellationToken);
        if (!visible.Succeeded)
        {
            return visible.Error!;
        }

        var now = Now();
        await using var tx = await store.BeginWriteAsync(cancellationToken);
        var row = (await tx.FindForUpdateAsync(visible.Value!.Id, cancellationToken))!;
        var target = action switch
        {
            StatusAction.Suspend => CertificateStatus.Suspended,
            StatusAction.Reinstate => CertificateStatus.Valid,
            _ => CertificateStatus.Revoked,
        };

        if (row.Status == target && action != StatusAction.Reinstate && row.PublicReasonCode() == code)
        {
            return ToCertificate(row, now, withReasonText: true); // idempotent repeat
        }

        var conflict = (action, row.Status) switch
        {
            (_, CertificateStatus.Revoked) => "The certificate is revoked" + (row.PublicReasonCode() is { } current ? $" ({current})." : "."),
            (StatusAction.Suspend, CertificateStatus.Suspended) => "The certificate is already suspended with another reason code.",
            (StatusAction.Reinstate, CertificateStatus.Valid) => "The certificate is not suspended.",
            (StatusAction.Suspend or StatusAction.Reinstate, _) when IsExpired(row, now) => "The certificate has expired.",
            _ => null,
        };
        if (conflict is not null)
        {
            return new CertStoreError(CertStoreErrorKind.Conflict, "status-conflict", conflict);
        }

        var payloadHash = Convert.ToBase64String(SHA256.HashData(Unseal(row).PayloadBytes));
        var entry = new LogEntry(action.ToString().ToLowerInvariant(), row.Id, null, payloadHash, row.IssuerCode, now, code);
        await tx.AppendLogAsync(entry.ToLeafInput(), now, cancellationToken);
        var kept = action == StatusAction.Reinstate
            ? row with { Status = target, StatusReason = null, StatusReasonCode = null, SealedStatusReason = null }
            : row with { Status = target, StatusReason = null, StatusReasonCode = code, SealedStatusReason = SealReason(row.Id, reason) };
        await tx.UpdateStatusAsync(row, target, kept.StatusReasonCode, kept.SealedStatusReason, null, now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ToCertificate(kept, now, withReasonText: true);
    }

    /// <summary>
    /// Reads a certificate the caller may see (issuer, a department allowed to use the type, or an administrator); others
    /// get not-found. Only the issuer and administrators get the free-text status reason.
    /// </summary>
    public async Task<CertStoreResult<Certificate>> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var row = await FindVisibleAsync(caller, id, cancellationToken);
        return row.Succeeded ? ToCertificate(row.Value!, Now(), MaySeeReasonText(caller, row.Value!)) : row.Error!;
    }

    /// <summary>
    /// Every certificate of a holder, unfiltered (callers filter by their rights). The free-text status reasons are
    /// included for the holder (<paramref name="reader"/> null) and, per certificate, for its issuing department and
    /// administrators; other readers get only the codes.
    /// </summary>
    public async Task<IReadOnlyList<Certificate>> ListByHolderAsync(HolderId holder, Caller? reader, CancellationToken cancellationToken)
    {
        var now = Now();
        var rows = await store.ListByHolderAsync(protector.HolderKey(holder), cancellationToken);
        // The keys of the two kinds never meet (kind + code are hashed); the kind column makes it hold row by row too.
        return [.. rows.Where(r => r.HolderKind == holder.Kind).Select(r => ToCertificate(r, now, reader is null || MaySeeReasonText(reader, r)))];
    }

    /// <summary>Turns a stored row into the API certificate with its live status and reason code, for any reader (no free text).</summary>
    public Certificate ToCertificate(StoredCertificate row, DateTimeOffset now) => ToCertificate(row, now, withReasonText: false);

    /// <summary>Turns a stored row into the API certificate; <paramref name="withReasonText"/> opens the sealed free-text reason.</summary>
    private Certificate ToCertificate(StoredCertificate row, DateTimeOffset now, bool withReasonText)
    {
        var (payload, _, signature) = Unseal(row);
        return new Certificate
        {
            Payload = payload,
            Status = ToCertificateStatus(row, now),
            StatusReasonCode = row.PublicReasonCode(),
            StatusReason = withReasonText ? OpenReason(row) : null,
            Signature = signature,
            SupersededBy = row.SupersededBy,
            HolderKey = row.HolderKey,
        };
    }

    /// <summary>Departments other than the issuer see only the reason code (SPEC: 谁发证、谁管理).</summary>
    private static bool MaySeeReasonText(Caller caller, StoredCertificate row) => caller.IsAdmin || caller.DepartmentCode == row.IssuerCode;

    /// <summary>Seals a free-text status reason to its certificate; null stays null.</summary>
    private byte[]? SealReason(string id, string? reason) =>
        reason is null ? null : protector.Seal(System.Text.Encoding.UTF8.GetBytes(reason), StoredCertificate.ReasonAssociatedData(id));

    /// <summary>The free-text reason of a row: opened from its seal, or the clear text of a row not yet sealed.</summary>
    private string? OpenReason(StoredCertificate row) =>
        row.SealedStatusReason is { } sealedReason
            ? System.Text.Encoding.UTF8.GetString(protector.Open(sealedReason, StoredCertificate.ReasonAssociatedData(row.Id)))
            : row.StatusReason;

    private static bool IsExpired(StoredCertificate row, DateTimeOffset now) => row.ValidUntil is { } until && until <= now;

    private async Task<CertStoreResult<StoredCertificate>> FindVisibleAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!CertificateId.TryParse(id, out _, out var error))
        {
            return CertStoreError.Invalid("id", error);
        }

        var row = await store.FindAsync(id, cancellationToken);
        if (row is null)
        {
            return CertStoreError.NotFound("Certificate");
        }

        if (caller.IsAdmin || caller.DepartmentCode == row.IssuerCode)
        {
            return row;
        }

        var type = await store.FindTypeAsync(row.TypeCode, cancellationToken);
        return caller.DepartmentCode is not null && type?.Users.Contains(caller.DepartmentCode) == true
            ? row
            : CertStoreError.NotFound("Certificate");
    }

    private async Task<CertStoreResult<StoredCertificate>> FindManagedAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var row = await FindVisibleAsync(caller, id, cancellationToken);
        if (row.Succeeded && !caller.IsAdmin && caller.DepartmentCode != row.Value!.IssuerCode)
        {
            return new CertStoreError(CertStoreErrorKind.Forbidden, "not-issuer", "Only the issuing department may change this certificate.");
        }

        return row;
    }

    /// <summary>
    /// Writes new certificates in order: their status-list slots, consecutive log entries from the log's current size,
    /// the signatures (in parallel across cores; each item's work depends only on that item, so results, slots and log
    /// indexes are the same as one by one), and the rows.
    /// </summary>
    private async Task<Certificate[]> WriteNewAsync(
        ICertificateWriteTransaction tx, IReadOnlyList<NewWrite> writes, string eventType, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (writes.Count == 0)
        {
            return [];
        }

        var slots = await tx.AllocateStatusSlotsAsync(writes.Count, now, cancellationToken);
        var firstLogIndex = tx.NextLogIndex;
        var certificates = new Certificate[writes.Count];
        var rows = new StoredCertificate[writes.Count];
        var leafInputs = new byte[writes.Count][];
        void Sign(int k)
        {
            (certificates[k], rows[k], leafInputs[k]) = SignNew(writes[k], slots[k], firstLogIndex + k, eventType, now);
        }

        if (writes.Count < ParallelSigningThreshold || Environment.ProcessorCount == 1)
        {
            for (var k = 0; k < writes.Count; k++)
            {
                Sign(k);
            }
        }
        else
        {
            try
            {
                Parallel.For(0, writes.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, Sign);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }

        var appended = await tx.AppendLogAsync(leafInputs, now, cancellationToken);
        if (appended != firstLogIndex)
        {
            throw new InvalidOperationException($"Log index {appended} differs from the reserved {firstLogIndex}.");
        }

        await tx.InsertAsync(rows, cancellationToken);
        return certificates;
    }

    /// <summary>The CPU work of one new certificate: payload, both signatures, its log entry and its sealed row.</summary>
    private (Certificate Certificate, StoredCertificate Row, byte[] LeafInput) SignNew(NewWrite write, StatusListRef slot, long logIndex, string eventType, DateTimeOffset now)
    {
        var (issuerSigner, item, id, supersedes) = write;
        var payload = new CertificatePayload
        {
            Id = id.ToString(),
            TypeCode = item.Type.ToString(),
            Issuer = new PartyRef(item.Issuer.ToString(), item.IssuerName),
            Holder = item.Holder.IsOrganization
                ? HolderRef.ForOrganization(item.Holder.ToString(), item.HolderName)
                : new HolderRef(item.Holder.ToString(), item.HolderName),
            Number = item.Number,
            IssuedAt = now,
            ValidFrom = item.ValidFrom,
            ValidUntil = item.ValidUntil,
            Fields = item.Fields,
            Version = id.Version,
            Supersedes = supersedes,
            StatusList = slot,
            LogIndex = logIndex,
        };
        var payloadBytes = JsonSerializer.SerializeToUtf8Bytes(payload, CertStoreJson.Options);
        var signature = issuerSigner.Sign(payloadBytes);
        var entry = new LogEntry(eventType, payload.Id, null, Convert.ToBase64String(SHA256.HashData(payloadBytes)), payload.Issuer.Code, now, null);
        var row = new StoredCertificate
        {
            Id = payload.Id,
            HolderKey = item.HolderKey,
            HolderKind = item.Holder.Kind,
            TypeCode = payload.TypeCode,
            IssuerCode = payload.Issuer.Code,
            Version = payload.Version,
            Status = CertificateStatus.Valid,
            IssuedAt = now,
            ValidFrom = item.ValidFrom,
            ValidUntil = item.ValidUntil,
            Supersedes = supersedes,
            StatusListId = slot.ListId,
            StatusIndex = slot.Index,
            LogIndex = logIndex,
            SealedDocument = protector.Seal(JsonSerializer.SerializeToUtf8Bytes(signature, CertStoreJson.Options), payload.Id),
            UpdatedAt = now,
        };
        var certificate = new Certificate { Payload = payload, Status = ToCertificateStatus(row, now), Signature = signature, HolderKey = row.HolderKey };
        return (certificate, row, entry.ToLeafInput());
    }

    private static string ToCertificateStatus(StoredCertificate row, DateTimeOffset now) =>
        row.Status == CertificateStatus.Valid && IsExpired(row, now) ? CertificateStatus.Expired : row.Status;

    /// <summary>
    /// Opens the sealed document. The result is kept with the row instance: the caching store hands out the same
    /// instance while its cache entry is current, so a cached row is opened once, and the opened form goes when the
    /// entry is replaced or evicted. Status never comes from here but from the row, so it is always the row's own.
    /// </summary>
    private (CertificatePayload Payload, byte[] PayloadBytes, JsonObject Signature) Unseal(StoredCertificate row)
    {
        if (!_unsealed.TryGetValue(row, out var opened))
        {
            var document = protector.Open(row.SealedDocument, row.Id);
            var signature = JsonNode.Parse(document)!.AsObject();
            var payloadBytes = System.Buffers.Text.Base64Url.DecodeFromChars(signature["payload"]!.GetValue<string>());
            opened = new Unsealed(JsonSerializer.Deserialize<CertificatePayload>(payloadBytes, CertStoreJson.Options)!, payloadBytes, signature);
            opened = _unsealed.GetValue(row, _ => opened);
        }

        return (opened.Payload, opened.PayloadBytes, opened.Signature);
    }

    private async Task<CertStoreResult<PreparedIssue>> PrepareAsync(
        Caller caller, IssueCommand request, Dictionary<string, CertificateType?> types, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Identifiers were parsed by the API; their errors come first, as the body lists them.
        var errors = new Dictionary<string, string[]>(request.InputErrors, StringComparer.Ordinal);
        if ((request.Type is null || request.Holder is null) && errors.Count == 0)
        {
            throw new ArgumentException("An issue command without a type or holder must say why in InputErrors.", nameof(request));
        }

        var holderName = request.HolderName?.Trim();
        // Registered organisation names run longer than personal names.
        var maxName = request.Holder?.IsOrganization == true ? 200 : 64;
        if (string.IsNullOrEmpty(holderName) || holderName.Length > maxName)
        {
            errors["holder.name"] = [$"The holder's name (1 to {maxName} characters) is required."];
        }

        var number = request.Number?.Trim();
        if (string.IsNullOrEmpty(number) || number.Length > 64)
        {
            errors["number"] = ["The licence number (1 to 64 characters) is required."];
        }

        if (request.Type is not { } typeCode)
        {
            return CertStoreError.Invalid(errors);
        }

        if (!types.TryGetValue(typeCode.ToString(), out var type))
        {
            type = await store.FindTypeAsync(typeCode.ToString(), cancellationToken);
            types[typeCode.ToString()] = type;
        }

        if (type is null)
        {
            errors["typeCode"] = [$"Certificate type {typeCode} does not exist."];
            return CertStoreError.Invalid(errors);
        }

        if (caller.DepartmentCode is null || !type.Issuers.Contains(caller.DepartmentCode))
        {
            return new CertStoreError(CertStoreErrorKind.Forbidden, "not-allowed-to-issue",
                $"Your department may not issue certificates of type {typeCode}.");
        }

        if (request.Holder is { } given && given.Kind != type.HolderKind)
        {
            if (type.HolderKind == HolderKinds.Organization)
            {
                errors["holder.creditCode"] = [$"Type {typeCode} is held by organisations: give holder.creditCode (unified social credit code, GB 32100)."];
            }
            else
            {
                errors["holder.idNumber"] = [$"Type {typeCode} is held by citizens: give holder.idNumber (identity number, GB 11643)."];
            }
        }

        ValidateFields(type, request.Fields, errors);
        var validFrom = Truncate(request.ValidFrom ?? now);
        var validUntil = request.ValidUntil is { } until ? Truncate(until)
            : type.ValidityYears is { } years ? validFrom.AddYears(years) : (DateTimeOffset?)null;
        if (validUntil <= validFrom)
        {
            errors["validUntil"] = ["validUntil must be after validFrom."];
        }

        if (errors.Count > 0)
        {
            return CertStoreError.Invalid(errors);
        }

        var holder = request.Holder!.Value;
        return new PreparedIssue(typeCode, CreditCode.Parse(caller.DepartmentCode), "", holder, protector.HolderKey(holder), holderName!, number!,
            validFrom, validUntil, (JsonObject)request.Fields!.DeepClone());
    }

    private static void ValidateFields(CertificateType type, JsonObject? fields, Dictionary<string, string[]> errors)
    {
        if (fields is null)
        {
            errors["fields"] = ["fields is required."];
            return;
        }

        var schema = type.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var (name, value) in fields)
        {
            if (!schema.TryGetValue(name, out var definition))
            {
                errors[$"fields.{name}"] = [$"Type {type.Code} has no field '{name}'."];
            }
            else if (value is not null && CheckFieldType(definition.Type, value) is { } problem)
            {
                errors[$"fields.{name}"] = [problem];
            }
        }

        foreach (var definition in type.Fields.Where(f => f.Required))
        {
            if (fields[definition.Name] is null)
            {
                errors[$"fields.{definition.Name}"] = ["This field is required."];
            }
        }
    }

    private static string? CheckFieldType(string type, JsonNode value)
    {
        var kind = value.GetValueKind();
        return type switch
        {
            "string" when kind != JsonValueKind.String => "Expected a string.",
            "string" when value.GetValue<string>().Length > 1000 => "At most 1000 characters.",
            "number" when kind != JsonValueKind.Number => "Expected a number.",
            "number" when !FieldNumber.IsValid(value.ToJsonString()) => $"Expected {FieldNumber.Rule}.",
            "boolean" when kind is not (JsonValueKind.True or JsonValueKind.False) => "Expected true or false.",
            "date" when kind != JsonValueKind.String
                || !DateOnly.TryParseExact(value.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                => "Expected a date as yyyy-MM-dd.",
            _ => null,
        };
    }

    private static CertStoreError? ValidateIdempotencyKey(string? key) =>
        key is not null && (key.Length is 0 or > 200 || key.Any(c => c < 0x21 || c > 0x7E))
            ? CertStoreError.Invalid("Idempotency-Key", "The Idempotency-Key header must be 1 to 200 visible ASCII characters.")
            : null;

    private async Task<CertStoreResult<IReadOnlyList<BatchItemResult>>> ReplayAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        var items = JsonSerializer.Deserialize<ReplayItem[]>(record.ResponseJson, CertStoreJson.Options)!;
        var now = Now();
        var results = new List<BatchItemResult>(items.Length);
        foreach (var item in items)
        {
            var row = item.Id is null ? null : await store.FindAsync(item.Id, cancellationToken);
            results.Add(new BatchItemResult(item.Index, row is null ? null : ToCertificate(row, now, withReasonText: true), item.Error));
        }

        return results;
    }

    private static ReplayItem ToReplay(BatchItemResult result) => new(result.Index, result.Certificate?.Payload.Id, result.Error);

    private DateTimeOffset Now() => Truncate(time.GetUtcNow());

    private static DateTimeOffset Truncate(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    /// <summary>An opened sealed document; shared read-only by every read of the same row instance.</summary>
    private sealed record Unsealed(CertificatePayload Payload, byte[] PayloadBytes, JsonObject Signature);

    private sealed record ReplayItem(int Index, string? Id, CertStoreError? Error);

    /// <summary>One certificate to write: who signs it, what it says, its id and the version it replaces.</summary>
    private sealed record NewWrite(IIssuerSigner Signer, PreparedIssue Item, CertificateId Id, string? Supersedes);

    private sealed record PreparedIssue(
        CertificateTypeCode Type, CreditCode Issuer, string IssuerName, HolderId Holder, string HolderKey, string HolderName, string Number,
        DateTimeOffset ValidFrom, DateTimeOffset? ValidUntil, JsonObject Fields);
}
