using System.Text.Json;
using CertLibrary.Auditor;
using CertLibrary.TransparencyLog;

// certlib-auditor <log base URL, e.g. https://certs.example/api/v1/log/> <state file>
// Exit codes: 0 consistent, 1 usage or unreadable log, 2 rewrite, 3 fork.
if (args.Length != 2 || !Uri.TryCreate(args[0].EndsWith('/') ? args[0] : args[0] + "/", UriKind.Absolute, out var baseUrl))
{
    Console.Error.WriteLine("usage: CertLibrary.Auditor <log base URL> <state file>");
    return 1;
}

var statePath = args[1];
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true };
SignedTreeHead? last = null;
if (File.Exists(statePath))
{
    await using var stateFile = File.OpenRead(statePath);
    last = await JsonSerializer.DeserializeAsync<SignedTreeHead>(stateFile, json);
}

using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(2) };
var report = await new LogAuditor(http).AuditAsync(last, CancellationToken.None);

foreach (var problem in report.Problems)
{
    Console.Error.WriteLine(problem);
}

if (report.Outcome != AuditOutcome.Consistent || report.NewHead is null)
{
    Console.Error.WriteLine($"AUDIT FAILED: {report.Outcome}; the saved head (size {last?.TreeSize ?? 0}) was kept.");
    return report.Outcome switch
    {
        AuditOutcome.Fork => 3,
        AuditOutcome.Rewrite => 2,
        _ => 1,
    };
}

// Write the new state beside the old one and swap, so a crash never leaves half a file.
var temporary = statePath + ".tmp";
await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(report.NewHead, json));
File.Move(temporary, statePath, overwrite: true);
Console.WriteLine($"OK: tree size {report.NewHead.TreeSize}, root {report.NewHead.RootHash}" +
    (last is null ? " (first run)" : $", consistent with size {last.TreeSize}"));
return 0;
