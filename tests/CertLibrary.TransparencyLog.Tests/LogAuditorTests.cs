using CertLibrary.Auditor;

namespace CertLibrary.TransparencyLog.Tests;

public sealed class LogAuditorTests
{
    private static FakeLogHandler LogOf(int size, Func<int, byte[]>? entry = null)
    {
        var log = new FakeLogHandler();
        for (var i = 0; i < size; i++)
        {
            log.Append((entry ?? (j => FakeLogHandler.Entry(j)))(i));
        }

        return log;
    }

    [Fact]
    public async Task AuditAsync_FirstRunOnHonestLog_IsConsistentAndReturnsHead()
    {
        using var log = LogOf(10);
        using var http = log.Client();

        var report = await new LogAuditor(http) { PageSize = 4 }.AuditAsync(null, CancellationToken.None);

        Assert.Equal(AuditOutcome.Consistent, report.Outcome);
        Assert.Empty(report.Problems);
        Assert.Equal(10, report.NewHead!.TreeSize);
    }

    [Fact]
    public async Task AuditAsync_HonestLogGrows_IsConsistentWithPreviousHead()
    {
        using var log = LogOf(5);
        using var http = log.Client();
        var auditor = new LogAuditor(http);
        var first = await auditor.AuditAsync(null, CancellationToken.None);
        for (var i = 5; i < 23; i++)
        {
            log.Append(FakeLogHandler.Entry(i, LogEventTypes.Revoke));
        }

        var second = await auditor.AuditAsync(first.NewHead, CancellationToken.None);
        var third = await auditor.AuditAsync(second.NewHead, CancellationToken.None);

        Assert.Equal(AuditOutcome.Consistent, second.Outcome);
        Assert.Equal(23, second.NewHead!.TreeSize);
        Assert.Equal(AuditOutcome.Consistent, third.Outcome);
    }

    [Fact]
    public async Task AuditAsync_LogWithVersion1ThenVersion2Entries_IsConsistentAcrossTheUpgrade()
    {
        // Entries 0–5 as written before reason codes (version 1, free text), 6–11 after (version 2, code only).
        using var log = LogOf(6, i => (new LogEntry(LogEventTypes.Suspend, $"CERT-{i:D6}", null, null, "330100", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + i), null)
        {
            Version = 1,
            Reason = "核查中",
        }).ToLeafInput());
        using var http = log.Client();
        var auditor = new LogAuditor(http) { PageSize = 4 };
        var before = await auditor.AuditAsync(null, CancellationToken.None);
        for (var i = 6; i < 12; i++)
        {
            log.Append(new LogEntry(LogEventTypes.Suspend, $"CERT-{i:D6}", null, null, "330100", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + i), "holderRequest").ToLeafInput());
        }

        var after = await auditor.AuditAsync(before.NewHead, CancellationToken.None);
        var fromScratch = await new LogAuditor(http) { PageSize = 5 }.AuditAsync(null, CancellationToken.None);

        Assert.Equal(AuditOutcome.Consistent, before.Outcome);
        Assert.Equal((AuditOutcome.Consistent, 12L), (after.Outcome, after.NewHead!.TreeSize));
        Assert.Equal(AuditOutcome.Consistent, fromScratch.Outcome);
        Assert.Empty(after.Problems.Concat(fromScratch.Problems));
    }

    [Fact]
    public async Task AuditAsync_EmptyLog_IsConsistent()
    {
        using var log = LogOf(0);
        using var http = log.Client();

        var report = await new LogAuditor(http).AuditAsync(null, CancellationToken.None);

        Assert.Equal(AuditOutcome.Consistent, report.Outcome);
        Assert.Equal(0, report.NewHead!.TreeSize);
    }

    [Fact]
    public async Task AuditAsync_ServedEntryRewritten_ReportsRewriteNamingTheEntry()
    {
        using var log = LogOf(12);
        using var http = log.Client();
        var verified = (await new LogAuditor(http).AuditAsync(null, CancellationToken.None)).NewHead;
        log.ServedInsteadOf[6] = FakeLogHandler.Entry(6, LogEventTypes.Reinstate);

        var report = await new LogAuditor(http).AuditAsync(verified, CancellationToken.None);

        Assert.Equal(AuditOutcome.Rewrite, report.Outcome);
        Assert.Equal([6L], report.RewrittenIndexes);
        Assert.Contains(report.Problems, p => p.Contains("entry 6", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuditAsync_DecodedEntryDiffersFromLeafInput_ReportsRewrite()
    {
        using var log = LogOf(4);
        using var http = log.Client();
        log.ShownEntryInsteadOf[2] = System.Text.Encoding.UTF8.GetString(FakeLogHandler.Entry(2, LogEventTypes.Suspend));

        var report = await new LogAuditor(http).AuditAsync(null, CancellationToken.None);

        Assert.Equal(AuditOutcome.Rewrite, report.Outcome);
        Assert.Equal([2L], report.RewrittenIndexes);
    }

    [Fact]
    public async Task AuditAsync_HistoryRewrittenAndTreeRebuilt_ReportsFork()
    {
        using var honest = LogOf(8);
        using var honestHttp = honest.Client();
        var verified = (await new LogAuditor(honestHttp).AuditAsync(null, CancellationToken.None)).NewHead;
        using var forked = LogOf(11, i => FakeLogHandler.Entry(i, i == 3 ? LogEventTypes.Revoke : LogEventTypes.Issue));
        using var forkedHttp = forked.Client();

        var report = await new LogAuditor(forkedHttp).AuditAsync(verified, CancellationToken.None);

        Assert.Equal(AuditOutcome.Fork, report.Outcome);
        Assert.Contains(report.Problems, p => p.StartsWith("Fork: tree head 11", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.StartsWith("Rewrite: the first 8 entries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuditAsync_SameSizeDifferentRoot_ReportsFork()
    {
        using var honest = LogOf(6);
        using var honestHttp = honest.Client();
        var verified = (await new LogAuditor(honestHttp).AuditAsync(null, CancellationToken.None)).NewHead;
        using var forked = LogOf(6, i => FakeLogHandler.Entry(i + 100));
        using var forkedHttp = forked.Client();

        var report = await new LogAuditor(forkedHttp).AuditAsync(verified, CancellationToken.None);

        Assert.Equal(AuditOutcome.Fork, report.Outcome);
        Assert.Contains(report.Problems, p => p.Contains("two different roots for size 6", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuditAsync_LogShrank_ReportsFork()
    {
        using var log = LogOf(9);
        using var http = log.Client();
        var verified = (await new LogAuditor(http).AuditAsync(null, CancellationToken.None)).NewHead;
        using var smaller = LogOf(7);
        using var smallerHttp = smaller.Client();

        var report = await new LogAuditor(smallerHttp).AuditAsync(verified, CancellationToken.None);

        Assert.Equal(AuditOutcome.Fork, report.Outcome);
    }

    [Fact]
    public async Task AuditAsync_BadSignature_ReportsMalformed()
    {
        using var log = LogOf(3);
        using var http = log.Client();

        var report = await new LogAuditor(http, _ => false).AuditAsync(null, CancellationToken.None);

        Assert.Equal(AuditOutcome.Malformed, report.Outcome);
    }

    [Fact]
    public async Task AuditAsync_WrongBaseAddress_ReportsMalformedWithoutThrowing()
    {
        using var log = LogOf(3);
        using var http = new HttpClient(log, disposeHandler: false) { BaseAddress = new Uri("http://log.test/api/v1/log/nothing/") };

        var report = await new LogAuditor(http).AuditAsync(null, CancellationToken.None);

        Assert.Equal(AuditOutcome.Malformed, report.Outcome);
        Assert.Null(report.NewHead);
    }
}
