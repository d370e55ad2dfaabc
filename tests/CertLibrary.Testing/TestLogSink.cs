using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Testing;

/// <summary>
/// Captures every log line of every test host (message, scopes, exception) so scripts/scan-test-logs.sh can check,
/// after the run, that none holds an identity number, password, client secret or token the tests used. Lines go to
/// <c>$CERTLIB_TEST_LOG_DIR/{assembly}.{pid}.log</c> (set by scripts/test.sh), or stay in memory when it is unset.
/// Secrets the tests send are registered by <see cref="AttachTo"/>'s middleware into <c>secrets.{pid}.txt</c> there.
/// </summary>
public static class TestLogSink
{
    private static readonly Lock Gate = new();
    private static readonly ConcurrentDictionary<string, bool> Registered = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> InMemory = new();
    private static readonly string? Directory = Environment.GetEnvironmentVariable("CERTLIB_TEST_LOG_DIR") is { Length: > 0 } d ? d : null;
    private static StreamWriter? _log;
    private static StreamWriter? _secrets;
    private static string? _name;

    /// <summary>Lines captured in this process (only when no directory is configured).</summary>
    public static IReadOnlyCollection<string> Lines => InMemory;

    /// <summary>Adds the capturing logger at Information and the secret-registering middleware to a test host.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static void AttachTo(IWebHostBuilder builder)
    {
        _name ??= System.Reflection.Assembly.GetCallingAssembly().GetName().Name;
        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Information);

            // Every request line too (successful ones are Debug), so that the scan covers what operators switch on.
            logging.AddFilter("CertLibrary.Api.Requests", LogLevel.Debug);
            logging.AddProvider(new Provider());
        });
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, SecretCapture>());
    }

    /// <summary>Records a secret the tests used; values shorter than 8 characters are too common to scan for.</summary>
    public static void RegisterSecret(string? secret)
    {
        if (secret is null || secret.Length < 8 || secret.Contains('\n', StringComparison.Ordinal) || !Registered.TryAdd(secret, true) || Directory is null)
        {
            return;
        }

        lock (Gate)
        {
            _secrets ??= Open($"secrets.{Environment.ProcessId}.txt");
            _secrets.WriteLine(secret);
            _secrets.Flush();
        }
    }

    private static void Write(string line)
    {
        if (Directory is null)
        {
            InMemory.Enqueue(line);
            while (InMemory.Count > 50_000 && InMemory.TryDequeue(out _))
            {
                // keep the newest lines only
            }

            return;
        }

        lock (Gate)
        {
            _log ??= Open($"{_name ?? AppDomain.CurrentDomain.FriendlyName}.{Environment.ProcessId}.log");
            _log.WriteLine(line);
        }
    }

    private static StreamWriter Open(string name)
    {
        System.IO.Directory.CreateDirectory(Directory!);
        var writer = new StreamWriter(new FileStream(Path.Combine(Directory!, name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Gate)
            {
                writer.Flush();
            }
        };
        return writer;
    }

    private static string OneLine(string text) => text.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", " ⏎ ", StringComparison.Ordinal);

    private sealed class Provider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
            lock (Gate)
            {
                _log?.Flush();
            }
        }

        private sealed class Logger(string category, Provider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => provider._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append('[').Append(eventId.Id).Append("] ")
                    .Append(formatter(state, exception));
                provider._scopes.ForEachScope((scope, builder) => builder.Append(" {").Append(scope).Append('}'), line);
                if (exception is not null)
                {
                    line.Append(" !! ").Append(exception);
                }

                Write(OneLine(line.ToString()));
            }
        }
    }

    /// <summary>Registers what a request carries as credentials: Basic and Bearer credentials and the secret form fields.</summary>
    private sealed class SecretCapture : IStartupFilter
    {
        private static readonly string[] SecretFields = ["client_secret", "password", "refresh_token", "code", "code_verifier", "token", "id_token_hint"];

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                await RegisterAsync(context.Request);
                await nextMiddleware(context);
            });
            next(app);
        };

        private static async Task RegisterAsync(HttpRequest request)
        {
            var authorization = request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                RegisterSecret(authorization[7..].Trim());
            }
            else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
                    RegisterSecret(Uri.UnescapeDataString(pair[(pair.IndexOf(':', StringComparison.Ordinal) + 1)..]));
                }
                catch (FormatException)
                {
                    // not a credential the tests meant to send
                }
            }

            foreach (var field in SecretFields)
            {
                RegisterSecret(request.Query[field].ToString());
            }

            if (request.Path.StartsWithSegments("/v", out var token))
            {
                RegisterSecret(token.Value?.TrimStart('/')); // the online QR token
            }

            if (request.HasFormContentType)
            {
                request.EnableBuffering();
                try
                {
                    // A form of the default limits; the product reads it again with its own (the hostile-input tests send worse).
                    var form = await new Microsoft.AspNetCore.Http.Features.FormFeature(request).ReadFormAsync(request.HttpContext.RequestAborted);
                    foreach (var field in SecretFields)
                    {
                        RegisterSecret(form[field].ToString());
                    }
                }
                catch (InvalidDataException)
                {
                    // malformed or over the limits: the product refuses it, and it carries no credential the tests meant to send
                }
                finally
                {
                    request.Body.Position = 0;
                }
            }
        }
    }
}
