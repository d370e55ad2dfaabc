using System.Buffers;
using System.Text.Json;
using CertLibrary.CertStore.Model;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// Reads a JSON body with a size cap enforced before parsing and a depth cap while parsing, so malformed,
/// oversized or deeply nested bodies get a 400/413 problem naming the issue, never a 500.
/// </summary>
public static class JsonBody
{
    /// <summary>Default cap for single-resource bodies.</summary>
    public const int DefaultLimit = 64 * 1024;

    /// <summary>Cap for batch bodies (1,000 certificates).</summary>
    public const int BatchLimit = 4 * 1024 * 1024;

    private static readonly JsonSerializerOptions Options = new(CertStoreJson.Options) { MaxDepth = 32 };

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, int limit, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (!request.HasJsonContentType())
        {
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type.", "Send the body as application/json."));
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024); // per request: pooled, not a fresh 16 KB for the GC
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (null, TooLarge(limit));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Options.MaxDepth) is { } bad)
        {
            return (null, Problems.Validation(bad.Field, bad.Message));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Options);
            return value is null
                ? (null, Problems.Validation("body", "A JSON object is required."))
                : (value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (null, Problems.Validation(field, "Malformed JSON or a value of the wrong type" + (e.LineNumber is { } line ? $" (line {line + 1})." : ".")));
        }
    }

    /// <summary>
    /// Walks the whole document once and names the first thing the lazy JSON DOM would only trip over later, as a
    /// 500, or that would bind silently to the wrong value: bytes that are not UTF-8, escaped lone surrogates, member
    /// names that repeat within an object (also when they differ only in case: members bind without regard to case, so
    /// <c>idNumber</c> and <c>IdNumber</c> would both fill one property and the last would win), nesting deeper than
    /// <paramref name="maxDepth"/>, or malformed JSON. The field is the member's path, e.g. <c>holder.IdNumber</c> or
    /// <c>items[0].fields.grade</c>. Null when the document is sound.
    /// </summary>
    public static (string Field, string Message)? Check(ReadOnlySpan<byte> utf8, int maxDepth)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return ("body", "The body is not valid UTF-8.");
        }

        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
        var containers = new Stack<Container>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        containers.Push(new Container(PathOfValue(containers), new HashSet<string>(StringComparer.OrdinalIgnoreCase)));
                        break;
                    case JsonTokenType.StartArray:
                        containers.Push(new Container(PathOfValue(containers), null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        var parent = containers.Peek();
                        if (!parent.Members!.Add(name))
                        {
                            parent.Members.TryGetValue(name, out var first);
                            return (PathOf(parent.Path, name), first == name
                                ? $"Member '{Shown(name)}' appears more than once."
                                : $"Member '{Shown(name)}' repeats '{Shown(first!)}' in another case; member names are matched without regard to case, so send each once.");
                        }

                        parent.Member = name;
                        break;
                    default:
                        if (containers.TryPeek(out var array) && array.Members is null)
                        {
                            array.Items++;
                        }

                        if (reader.TokenType == JsonTokenType.String)
                        {
                            _ = reader.GetString();
                        }

                        break;
                }
            }

            return null;
        }
        catch (JsonException e)
        {
            return ("body", "Malformed JSON or nested too deeply" + (e.LineNumber is { } line ? $" (line {line + 1})." : "."));
        }
        catch (InvalidOperationException)
        {
            return ("body", "A string holds an invalid escape (a lone UTF-16 surrogate).");
        }
    }

    /// <summary>The path of the value that starts now: <c>a.b</c> in an object, <c>a[2]</c> as the third item of an array.</summary>
    private static string PathOfValue(Stack<Container> containers)
    {
        if (!containers.TryPeek(out var parent))
        {
            return string.Empty;
        }

        if (parent.Members is null)
        {
            return $"{parent.Path}[{++parent.Items}]";
        }

        return PathOf(parent.Path, parent.Member!);
    }

    private static string PathOf(string parent, string member) => parent.Length == 0 ? Shown(member) : parent + "." + Shown(member);

    /// <summary>A member name as a message shows it: at most 64 characters.</summary>
    private static string Shown(string name) => name.Length <= 64 ? name : name[..64] + "…";

    /// <summary>An open object (with the member names seen so far) or array (with the items seen so far) on the way to the current token.</summary>
    private sealed class Container(string path, HashSet<string>? members)
    {
        public string Path { get; } = path;

        public HashSet<string>? Members { get; } = members;

        public string? Member { get; set; }

        public int Items { get; set; } = -1;
    }

    private static ProblemHttpResult TooLarge(int limit) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "Payload too large.", $"The body may be at most {limit} bytes.");
}
