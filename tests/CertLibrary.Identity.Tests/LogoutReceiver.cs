using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace CertLibrary.Identity.Tests;

/// <summary>A relying party's back-channel logout endpoint, a WireMock.Net server on the loopback: records every POST and answers as told.</summary>
public sealed class LogoutReceiver : IAsyncDisposable
{
    private readonly WireMockServer _server;
    private readonly ConcurrentQueue<ReceivedLogout> _received = new();
    private readonly Func<int, int> _statusForAttempt;
    private int _count;

    private LogoutReceiver(Func<int, int> statusForAttempt, int port)
    {
        _statusForAttempt = statusForAttempt;
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{port}"] });
        _server.Given(Request.Create().UsingPost().WithPath(new RegexMatcher("^/[^/]+$"))).RespondWith(Response.Create().WithCallback(Receive));
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234</c>; endpoints are <c>{Url}/{name}</c>.</summary>
    public string Url => _server.Url!;

    public IReadOnlyList<ReceivedLogout> Received => [.. _received];

    /// <param name="statusForAttempt">HTTP status to answer the n-th request (1-based) with; 200 when null.</param>
    /// <param name="port">Loopback port to listen on (one from <see cref="FreePort"/> for a portal that comes up later); any free one when 0.</param>
    public static Task<LogoutReceiver> StartAsync(Func<int, int>? statusForAttempt = null, int port = 0) =>
        Task.FromResult(new LogoutReceiver(statusForAttempt ?? (_ => (int)HttpStatusCode.OK), port == 0 ? FreePort() : port));

    /// <summary>Waits until at least <paramref name="count"/> requests arrived; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReceivedLogout>> WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_received.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} back-channel logout request(s), got {_received.Count}");
            await Task.Delay(50);
        }

        return Received;
    }

    /// <summary>A loopback port nothing listens on (yet): a portal that is down.</summary>
    public static int FreePort() => CertLibrary.Testing.TestEnvironment.FreeLoopbackPort();

    public ValueTask DisposeAsync()
    {
        _server.Stop();
        _server.Dispose();
        return ValueTask.CompletedTask;
    }

    private ResponseMessage Receive(IRequestMessage request)
    {
        var contentType = request.Headers?.TryGetValue("Content-Type", out var values) == true ? values.FirstOrDefault() : null;
        var form = contentType?.Split(';')[0].Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true
            ? QueryHelpers.ParseQuery(request.Body)
            : null;
        var status = _statusForAttempt(Interlocked.Increment(ref _count));
        _received.Enqueue(new ReceivedLogout(request.Path.TrimStart('/'), contentType, form?.GetValueOrDefault("logout_token").ToString(), form?.Count ?? 0, status));
        return new ResponseMessage { StatusCode = status };
    }
}

/// <summary>One request the receiver got.</summary>
public sealed record ReceivedLogout(string Endpoint, string? ContentType, string? LogoutToken, int FormFields, int AnsweredStatus);
