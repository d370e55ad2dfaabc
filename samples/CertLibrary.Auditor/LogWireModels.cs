using System.Text.Json;

namespace CertLibrary.Auditor;

// The JSON bodies of SPEC §7; hashes and leaf inputs are base64.
internal sealed record ConsistencyResponse(long First, long Second, IReadOnlyList<string>? Consistency);

internal sealed record InclusionResponse(long LeafIndex, long TreeSize, IReadOnlyList<string>? AuditPath);

internal sealed record EntriesResponse(IReadOnlyList<EntryResponse>? Entries);

internal sealed record EntryResponse(long Index, string? LeafInput, JsonElement Entry);
