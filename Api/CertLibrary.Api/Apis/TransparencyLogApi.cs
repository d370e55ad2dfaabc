using System.Globalization;
using System.Text.Json;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Transparency;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>The public, read-only transparency log (SPEC §7): signed tree heads, proofs and entries, RFC 6962 field names in camelCase.</summary>
public static class TransparencyLogApi
{
    public static RouteGroupBuilder MapTransparencyLogApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/log").WithTags("Transparency log").AllowAnonymous();

        group.MapGet("/tree-head", GetTreeHeadAsync).WithName("GetLogTreeHead")
            .WithSummary("Read the signed tree head")
            .WithDescription("The size, time, root hash and platform signature (JWS JSON General Serialization, ES256 + SM2) over the RFC 6962 TreeHeadSignature bytes.");
        group.MapGet("/proof/inclusion", GetInclusionProofAsync).WithName("GetLogInclusionProof")
            .WithSummary("Prove an entry is in the log")
            .WithDescription("The RFC 6962 audit path of entry index in the tree of size treeSize (treeSize no greater than the current size).");
        group.MapGet("/proof/consistency", GetConsistencyProofAsync).WithName("GetLogConsistencyProof")
            .WithSummary("Prove one tree head extends another")
            .WithDescription("The RFC 6962 consistency proof between the trees of sizes first and second.");
        group.MapGet("/entries", GetEntriesAsync).WithName("GetLogEntries")
            .WithSummary("Read log entries")
            .WithDescription("Entries [start, end), end exclusive, at most 1,000 per call: the exact leaf input (base64) and its decoded JSON. Entries carry no personal data.");
        return group;
    }

    private static async Task<Ok<TreeHeadResponse>> GetTreeHeadAsync(TransparencyLogService log, CancellationToken cancellationToken)
    {
        var head = await log.GetTreeHeadAsync(cancellationToken);
        return TypedResults.Ok(new TreeHeadResponse(head.TreeSize, head.Timestamp, head.RootHash, head.Signature!));
    }

    private static async Task<Results<Ok<InclusionResponse>, ProblemHttpResult>> GetInclusionProofAsync(
        string? index, string? treeSize, TransparencyLogService log, CancellationToken cancellationToken)
    {
        if (Parse("index", index, "treeSize", treeSize, out var leafIndex, out var size) is { } problem)
        {
            return problem;
        }

        var result = await log.GetInclusionProofAsync(leafIndex, size, cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(new InclusionResponse(result.Value!.LeafIndex, result.Value.TreeSize, ToBase64(result.Value.AuditPath)))
            : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<ConsistencyResponse>, ProblemHttpResult>> GetConsistencyProofAsync(
        string? first, string? second, TransparencyLogService log, CancellationToken cancellationToken)
    {
        if (Parse("first", first, "second", second, out var firstSize, out var secondSize) is { } problem)
        {
            return problem;
        }

        var result = await log.GetConsistencyProofAsync(firstSize, secondSize, cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(new ConsistencyResponse(result.Value!.First, result.Value.Second, ToBase64(result.Value.Consistency)))
            : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<EntriesResponse>, ProblemHttpResult>> GetEntriesAsync(
        string? start, string? end, TransparencyLogService log, CancellationToken cancellationToken)
    {
        if (Parse("start", start, "end", end, out var from, out var to) is { } problem)
        {
            return problem;
        }

        var result = await log.GetEntriesAsync(from, to, cancellationToken);
        if (!result.Succeeded)
        {
            return Problems.From(result.Error!);
        }

        var entries = result.Value!.Select(e => new EntryResponse(e.Index, Convert.ToBase64String(e.LeafInput), ParseEntry(e.LeafInput))).ToList();
        return TypedResults.Ok(new EntriesResponse(entries));
    }

    // Parameters are bound as strings so that a missing or malformed one is a Problem Details 400 naming it.
    private static ProblemHttpResult? Parse(string firstName, string? firstValue, string secondName, string? secondValue, out long first, out long second)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!TryParse(firstName, firstValue, out first, errors) | !TryParse(secondName, secondValue, out second, errors))
        {
            return Problems.From(CertStoreError.Invalid(errors));
        }

        return null;
    }

    private static bool TryParse(string name, string? value, out long number, Dictionary<string, string[]> errors)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number))
        {
            return true;
        }

        errors[name] = [string.IsNullOrEmpty(value) ? $"{name} is required." : $"{name} must be a non-negative integer."];
        return false;
    }

    // A stored leaf that is not JSON is shown as null rather than failing the page: leafInput is what is hashed.
    private static JsonElement? ParseEntry(byte[] leafInput)
    {
        try
        {
            using var document = JsonDocument.Parse(leafInput);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<string> ToBase64(IReadOnlyList<byte[]> hashes) => [.. hashes.Select(Convert.ToBase64String)];

    internal sealed record TreeHeadResponse(long TreeSize, long Timestamp, string RootHash, string Signature);

    internal sealed record InclusionResponse(long LeafIndex, long TreeSize, IReadOnlyList<string> AuditPath);

    internal sealed record ConsistencyResponse(long First, long Second, IReadOnlyList<string> Consistency);

    internal sealed record EntriesResponse(IReadOnlyList<EntryResponse> Entries);

    internal sealed record EntryResponse(long Index, string LeafInput, JsonElement? Entry);
}
