using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CertLibrary.Cli.Import;

/// <summary>How the server answered one batch.</summary>
internal enum BatchOutcomeKind
{
    /// <summary>200: each item answered on its own.</summary>
    Answered,

    /// <summary>The batch as a whole was refused (400, 409, 413, ...): nothing of it was created.</summary>
    Refused,

    /// <summary>401/403: the credentials are wrong or lack <c>certlib.issue</c>.</summary>
    Unauthorized,

    /// <summary>Network error, time-out, 429 or 5xx: retry with the same key.</summary>
    Transient,
}

/// <summary>One item of a batch answer.</summary>
internal sealed record BatchItemAnswer(int Index, string? CertificateId, string? Problem);

internal sealed record BatchOutcome(BatchOutcomeKind Kind, IReadOnlyList<BatchItemAnswer> Items, string? Problem);

/// <summary>Talks to the CertLibrary API: client-credentials token, then <c>POST /api/v1/certificates/batch</c> with an Idempotency-Key.</summary>
internal sealed class CertLibraryApiClient(HttpClient http, string clientId, string clientSecret)
{
    private string? _token;

    /// <summary>Gets a token; null with a reason when the credentials are refused, throws <see cref="HttpRequestException"/> when unreachable.</summary>
    public async Task<string?> AuthenticateAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}")));
        using var response = await http.SendAsync(request, cancellationToken);
        if (IsTransient(response.StatusCode))
        {
            throw new HttpRequestException($"token endpoint answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return $"the token endpoint refused the client credentials ({(int)response.StatusCode} {ErrorOf(body)})";
        }

        _token = JsonNode.Parse(body)?["access_token"]?.GetValue<string>();
        return _token is null ? "the token endpoint answered without an access_token" : null;
    }

    public async Task<BatchOutcome> SendBatchAsync(string idempotencyKey, JsonArray items, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/certificates/batch")
        {
            Content = new StringContent(new JsonObject { ["items"] = items.DeepClone() }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return new BatchOutcome(BatchOutcomeKind.Transient, [], e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new BatchOutcome(BatchOutcomeKind.Transient, [], "the request timed out");
        }

        using (response)
        {
            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (HttpRequestException e)
            {
                return new BatchOutcome(BatchOutcomeKind.Transient, [], e.Message);
            }

            if (IsTransient(response.StatusCode))
            {
                return new BatchOutcome(BatchOutcomeKind.Transient, [], $"{(int)response.StatusCode} {Describe(TryParse(body))}");
            }

            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return new BatchOutcome(BatchOutcomeKind.Unauthorized, [], $"{(int)response.StatusCode} {Describe(TryParse(body))}");
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new BatchOutcome(BatchOutcomeKind.Refused, [], $"{(int)response.StatusCode} {Describe(TryParse(body))}");
            }

            var answers = new List<BatchItemAnswer>();
            foreach (var item in TryParse(body)?["items"]?.AsArray() ?? [])
            {
                var index = item!["index"]!.GetValue<int>();
                var id = item["certificate"]?["id"]?.GetValue<string>();
                answers.Add(new BatchItemAnswer(index, id, id is null ? Describe(item["problem"]) : null));
            }

            return answers.Count == items.Count
                ? new BatchOutcome(BatchOutcomeKind.Answered, answers, null)
                : new BatchOutcome(BatchOutcomeKind.Transient, [], $"the answer holds {answers.Count} items for {items.Count} sent");
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    private static JsonNode? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ErrorOf(string body) => TryParse(body)?["error"]?.GetValue<string>() ?? "";

    /// <summary>A problem (RFC 9457) as one line: title, detail and the errors map.</summary>
    private static string Describe(JsonNode? problem)
    {
        if (problem is not JsonObject p)
        {
            return "(no problem details)";
        }

        var parts = new List<string>();
        if (p["title"]?.GetValue<string>() is { } title)
        {
            parts.Add(title.TrimEnd('.'));
        }

        if (p["detail"]?.GetValue<string>() is { } detail)
        {
            parts.Add(detail.TrimEnd('.'));
        }

        if (p["errors"] is JsonObject errors)
        {
            parts.AddRange(errors.Select(e => $"{e.Key}: {string.Join("; ", e.Value?.AsArray().Select(v => v?.GetValue<string>()) ?? [])}"));
        }

        var type = p["type"]?.GetValue<string>();
        return string.Join(" — ", parts) + (type is null ? "" : $" [{type}]");
    }
}
