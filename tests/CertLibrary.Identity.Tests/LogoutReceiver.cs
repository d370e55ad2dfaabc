using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Identity.Tests;

/// <summary>A relying party's back-channel logout endpoint on a real loopback Kestrel: records every POST and answers as told.</summary>
public sealed class LogoutReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedLogout> _received = new();
    private readonly Func<int, int> _statusForAttempt;
    private int _count;

    private LogoutReceiver(Func<int, int> statusForAttempt, int port)
    {
        _statusForAttempt = statusForAttempt;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        _app = builder.Build();
        _app.MapPost("/{name}", async (HttpContext context, string name) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
            var attempt = Interlocked.Increment(ref _count);
            var status = _statusForAttempt(attempt);
            _received.Enqueue(new ReceivedLogout(name, context.Request.ContentType, form?["logout_token"].ToString(), form?.Count ?? 0, status));
            return Results.StatusCode(status);
        });
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234</c>; endpoints are <c>{Url}/{name}</c>.</summary>
    public string Url { get; private set; } = string.Empty;

    public IReadOnlyList<ReceivedLogout> Received => [.. _received];

    /// <param name="statusForAttempt">HTTP status to answer the n-th request (1-based) with; 200 when null.</param>
    /// <param name="port">Loopback port to listen on (one from <see cref="FreePort"/> for a portal that comes up later); any free one when 0.</param>
    public static async Task<LogoutReceiver> StartAsync(Func<int, int>? statusForAttempt = null, int port = 0)
    {
        var receiver = new LogoutReceiver(statusForAttempt ?? (_ => StatusCodes.Status200OK), port);
        await receiver._app.StartAsync();
        receiver.Url = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return receiver;
    }

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
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One request the receiver got.</summary>
public sealed record ReceivedLogout(string Endpoint, string? ContentType, string? LogoutToken, int FormFields, int AnsweredStatus);
