using System.Collections.Concurrent;
using System.Text.Json;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace CertLibrary.CertStore.Tests;

/// <summary>Progress notices delivered to a real HTTP gateway (a WireMock.Net server on 127.0.0.1) with signature, retry and backoff.</summary>
public sealed class ProgressNoticeTests : IAsyncLifetime
{
    private const string Secret = "test-gateway-secret";
    private readonly ConcurrentQueue<(string Signature, string NoticeId, string Body)> _received = new();
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow);
    private WireMockServer _gateway = null!;
    private StoreNode _node = null!;
    private int _failuresLeft;

    public async Task InitializeAsync()
    {
        _gateway = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{TestEnvironment.FreeLoopbackPort()}"] });
        _gateway.Given(Request.Create().UsingPost().WithPath("/notices")).RespondWith(Response.Create().WithCallback(request =>
        {
            _received.Enqueue((Header(request, "CertLib-Signature"), Header(request, "CertLib-Notice-Id"), request.Body ?? string.Empty));
            return new ResponseMessage { StatusCode = Interlocked.Decrement(ref _failuresLeft) >= 0 ? 503 : 204 };
        }));
        _node = await StoreNode.StartAsync("sqlite", Path.Combine(Path.GetTempPath(), "certlib-tests", Guid.NewGuid().ToString("N"), "certlib.db"), TestEnvironment.NewMasterKey());
        await TestData.SeedAsync(_node);
    }

    public async Task DisposeAsync()
    {
        _gateway.Stop();
        _gateway.Dispose();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task Notices_IssueAndSuspend_SignedDeliveredAfterRetryWithBackoff()
    {
        using var dispatcher = Dispatcher();
        Assert.Equal(0, await dispatcher.RunOnceAsync(default)); // first run: starts at the end of the log
        var caller = new Caller("client-a", TestData.IssuerA, false);
        var issued = await _node.Manager.IssueAsync(caller, TestData.Request(), null, default);
        Assert.True(issued.Succeeded);
        var id = issued.Value!.Payload.Id;
        await _node.Manager.ChangeStatusAsync(caller, id, StatusAction.Suspend, null, "核查中", default);
        _failuresLeft = 2;

        var firstRun = await dispatcher.RunOnceAsync(default);
        var tooEarly = await dispatcher.RunOnceAsync(default);
        _time.Advance(TimeSpan.FromSeconds(9));
        var stillEarly = await dispatcher.RunOnceAsync(default);
        _time.Advance(TimeSpan.FromSeconds(2));
        var afterBackoff = await dispatcher.RunOnceAsync(default);
        var again = await dispatcher.RunOnceAsync(default);

        Assert.Equal([0, 0, 0, 2, 0], new[] { firstRun, tooEarly, stillEarly, afterBackoff, again });
        var received = _received.ToList();
        Assert.Equal(4, received.Count);
        var delivered = received.Skip(2).ToList();
        Assert.Equal(received.Take(2).Select(r => r.NoticeId), delivered.Select(r => r.NoticeId));
        var bodies = delivered.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(["issue", "suspend"], bodies.Select(b => b.GetProperty("event").GetString()));
        Assert.All(bodies, b => Assert.Equal(id, b.GetProperty("certificateId").GetString()));
        Assert.Equal("张*三", bodies[0].GetProperty("holderName").GetString());
        Assert.Equal("other", bodies[1].GetProperty("reasonCode").GetString());
        Assert.All(delivered, r => Assert.DoesNotContain("核查中", r.Body, StringComparison.Ordinal));
        Assert.All(delivered, r => Assert.DoesNotContain(TestData.HolderNumber, r.Body, StringComparison.Ordinal));
        foreach (var (signature, _, body) in delivered)
        {
            var parts = signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal(ProgressNoticeDispatcher.Sign(Secret, parts["t"], body), parts["v1"]);
            Assert.NotEqual(ProgressNoticeDispatcher.Sign("wrong", parts["t"], body), parts["v1"]);
        }

        await using var connection = await _node.Database.OpenConnectionAsync(default);
        var attempts = await connection.QueryAsync<int>("SELECT attempts FROM notice_outbox WHERE delivered_at IS NOT NULL");
        Assert.Equal([2, 2], attempts);
    }

    [Fact]
    public async Task Notices_GatewayKeepsFailing_MarkedFailedAfterMaxAttempts()
    {
        using var dispatcher = Dispatcher(maxAttempts: 3);
        await dispatcher.RunOnceAsync(default);
        await _node.Manager.IssueAsync(new Caller("client-a", TestData.IssuerA, false), TestData.Request(), null, default);
        _failuresLeft = int.MaxValue;

        for (var i = 0; i < 5; i++)
        {
            await dispatcher.RunOnceAsync(default);
            _time.Advance(TimeSpan.FromMinutes(2));
        }

        Assert.Equal(3, _received.Count);
        await using var connection = await _node.Database.OpenConnectionAsync(default);
        var row = await connection.QuerySingleAsync<(int Attempts, string LastError)>("SELECT attempts, last_error FROM notice_outbox WHERE failed_at IS NOT NULL");
        Assert.Equal(3, row.Attempts);
        Assert.Equal("HTTP 503", row.LastError);
    }

    private ProgressNoticeDispatcher Dispatcher(int maxAttempts = 10)
    {
        var address = _gateway.Url!;
        var options = new ProgressNoticeOptions
        {
            GatewayUrl = new Uri(address + "/notices"),
            Secret = Secret,
            BaseDelay = TimeSpan.FromSeconds(10),
            MaxDelay = TimeSpan.FromMinutes(1),
            MaxAttempts = maxAttempts,
        };
        return new ProgressNoticeDispatcher(_node.Database, _node.Store, _node.Manager, Options.Create(options), _time, NullLogger<ProgressNoticeDispatcher>.Instance);
    }

    private static string Header(IRequestMessage request, string name) =>
        request.Headers?.TryGetValue(name, out var values) == true ? string.Join(',', values) : string.Empty;
}
