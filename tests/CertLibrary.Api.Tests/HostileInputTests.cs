using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Api.Tests;

/// <summary>
/// 10,000 seeded random mutations of valid requests against the endpoints that take untrusted bodies. Whatever
/// arrives, the service answers without a 5xx, every 4xx is Problem Details with a type, and nothing stored changes
/// except what the successful answers account for. Reproduce a failure with CERTLIB_FUZZ_SEED=&lt;seed printed&gt;.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const int Iterations = 10_000;
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(10);

    private readonly ApiFactory _factory = new()
    {
        Settings = new Dictionary<string, string> { ["CERTLIB_VERIFY_PER_MINUTE"] = "1000000", ["CERTLIB_LOOKUP_PER_MINUTE"] = "1000000" },
    };

    private HttpClient _civil = null!;
    private HttpClient _anonymous = null!;
    private readonly List<string> _qrTexts = [];
    private readonly List<string> _compactJws = [];
    private readonly List<string> _generalJws = [];
    private string _revokedId = null!;

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
        _anonymous = _factory.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            using var issued = await ApiFactory.PostJsonAsync(_civil, "/api/v1/certificates", ApiFactory.MarriageRequest());
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
            var certificate = await ApiFactory.JsonAsync(issued);
            var id = certificate.GetProperty("id").GetString()!;
            var signature = certificate.GetProperty("signature");
            _generalJws.Add(signature.GetRawText());
            var first = signature.GetProperty("signatures")[0];
            _compactJws.Add($"{first.GetProperty("protected").GetString()}.{signature.GetProperty("payload").GetString()}.{first.GetProperty("signature").GetString()}");
            using var qrRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr");
            qrRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
            using var qr = await _civil.SendAsync(qrRequest);
            Assert.Equal(HttpStatusCode.OK, qr.StatusCode);
            _qrTexts.Add(await qr.Content.ReadAsStringAsync());
            if (i == 1)
            {
                _revokedId = id;
                using var revoked = await ApiFactory.PostJsonAsync(_civil, $"/api/v1/certificates/{id}/revoke", new { reason = "证件遗失" });
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            }
        }
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RandomMutations_OfValidRequests_NeverServerError_AlwaysProblemDetails_NothingChangesUnaccounted()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CERTLIB_FUZZ_SEED"), CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next();
        var before = Snapshot();
        var failures = new List<string>();
        var statusCounts = new SortedDictionary<int, int>();
        long created = 0, lookupsOk = 0;
        var watch = Stopwatch.StartNew();
        var random = new Random(seed);
        var cases = Enumerable.Range(0, Iterations).Select(i => NextCase(random, i)).ToList();

        // Four in flight at a time: enough to exercise concurrent parsing without starving the shared machine.
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (fuzzCase, _) =>
        {
            var (status, outcome) = await SendAsync(fuzzCase);
            lock (failures)
            {
                statusCounts[status] = statusCounts.GetValueOrDefault(status) + 1;
                if (outcome.Failure is { } failure)
                {
                    failures.Add($"#{fuzzCase.Number} {fuzzCase.Method} {fuzzCase.Path} [{fuzzCase.Mutation}] → {failure}; body: {Preview(fuzzCase.Body)}");
                }

                created += outcome.Created;
                lookupsOk += outcome.LookupOk ? 1 : 0;
            }
        });

        var after = Snapshot();
        var summary = $"seed {seed} (rerun with CERTLIB_FUZZ_SEED={seed}); {Iterations} requests in {watch.Elapsed.TotalSeconds:F1} s; statuses "
            + string.Join(", ", statusCounts.Select(s => $"{s.Key}×{s.Value}"));
        Console.WriteLine("HostileInputTests: " + summary);
        Assert.True(failures.Count == 0, $"{failures.Count} bad answers, {summary}:\n" + string.Join("\n", failures.Take(25)));

        Assert.True(after.Certificates == before.Certificates + created, $"certificates {before.Certificates} → {after.Certificates}, {created} reported created; {summary}");
        Assert.True(after.LogSize == before.LogSize + created, $"log size {before.LogSize} → {after.LogSize}, {created} created; {summary}");
        Assert.True(after.AccessLogRows == before.AccessLogRows + lookupsOk, $"access log {before.AccessLogRows} → {after.AccessLogRows}, {lookupsOk} successful lookups; {summary}");
        foreach (var (id, status) in before.Statuses)
        {
            Assert.True(after.Statuses[id] == status, $"{id} went {status} → {after.Statuses[id]}; {summary}");
        }
    }

    /// <summary>
    /// The form bodies that once answered 500 with a stack trace on every provider endpoint: a control character, more fields,
    /// a longer key and a larger body than a form may have. Each is refused with 400 invalid_request (413 for the size) in
    /// the endpoint's own way, OAuth JSON or an error page, and nothing is logged as an error.
    /// </summary>
    [Fact]
    public async Task ProviderEndpoints_MalformedForms_400Or413InTheirOwnWay_NoErrorLogged()
    {
        using var logs = new CertLibrary.Identity.Tests.LogCapture();
        using var app = _factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        using var http = app.CreateClient();
        var bodies = new (string Name, string Body, HttpStatusCode Status)[]
        {
            ("control character", "client_id=a%00&token=a&grant_type=client_credentials&access_token=a", HttpStatusCode.BadRequest),
            ("1,100 fields", string.Join('&', Enumerable.Range(0, 1_100).Select(i => $"f{i}=1")), HttpStatusCode.BadRequest),
            ("3,000-character key", new string('k', 3_000) + "=1&client_id=a", HttpStatusCode.BadRequest),
            ("4.3 MB body", "client_id=a&token=" + new string('A', 4_300_000), HttpStatusCode.RequestEntityTooLarge),
        };
        var endpoints = new (string Path, bool Browser)[]
        {
            ("/connect/token", false), ("/connect/introspect", false), ("/connect/revocation", false), ("/connect/userinfo", false),
            ("/connect/endsession", true), ("/connect/authorize", true),
        };
        var failures = new List<string>();
        foreach (var (path, browser) in endpoints)
        {
            foreach (var (name, body, expected) in bodies)
            {
                using var content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded");
                using var response = await http.PostAsync(path, content);
                failures.AddRange(await CheckRefusalAsync(response, $"POST {path} with {name}", expected, browser));
            }
        }

        foreach (var path in new[] { "/connect/authorize", "/connect/endsession" })
        {
            using var response = await http.GetAsync(path + "?client_id=a%00&post_logout_redirect_uri=https%3A%2F%2Fa.test%2F%01");
            failures.AddRange(await CheckRefusalAsync(response, $"GET {path} with a control character", HttpStatusCode.BadRequest, browser: true));
        }

        var errors = logs.Messages.Where(m => m.StartsWith("Error ", StringComparison.Ordinal) || m.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(errors.Count == 0, string.Join('\n', errors.Take(3)));
    }

    private static async Task<IEnumerable<string>> CheckRefusalAsync(HttpResponseMessage response, string request, HttpStatusCode expected, bool browser)
    {
        var text = await response.Content.ReadAsStringAsync();
        var type = response.Content.Headers.ContentType?.MediaType;
        if (response.StatusCode != expected)
        {
            return [$"{request}: {(int)response.StatusCode} {type}, expected {(int)expected}: {text[..Math.Min(text.Length, 200)]}"];
        }

        if (browser)
        {
            return type == "text/html" && text.Contains("id=\"error\"", StringComparison.Ordinal) ? [] : [$"{request}: no error page ({type})"];
        }

        return type == "application/json" && JsonDocument.Parse(text).RootElement.GetProperty("error").GetString() == "invalid_request"
            ? []
            : [$"{request}: not an OAuth invalid_request ({type}): {text}"];
    }

    /// <summary>Bodies whose members repeat in another case: bound case-insensitively, the last one would win.</summary>
    public static TheoryData<string, string, string> CaseDuplicates
    {
        get
        {
            const string Other = "110105194912310029";
            var type = ApiFactory.MarriageType;
            var holder = $$"""{"idNumber":"{{ApiFactory.HolderNumber}}","name":"张小三"}""";
            var fields = """{"spouseName":"李四","registeredOn":"2020-05-20","registrationOffice":"北京市西城区民政局"}""";
            string Issue(string holderJson, string fieldsJson, string extra = "") =>
                $$"""{"typeCode":"{{type}}","holder":{{holderJson}},"number":"J{{Guid.NewGuid().ToString("N")[..10]}}"{{extra}},"fields":{{fieldsJson}}}""";
            var holderTwice = $$"""{"idNumber":"{{ApiFactory.HolderNumber}}","IdNumber":"{{Other}}","name":"张小三"}""";
            return new()
            {
                { "/api/v1/holders/lookup", $$"""{"idNumber":"{{ApiFactory.HolderNumber}}","IdNumber":"{{Other}}","purpose":"办理住房公积金提取"}""", "IdNumber" },
                { "/api/v1/certificates", Issue(holder, fields, ""","Number":"K0000000001" """), "Number" },
                { "/api/v1/certificates", Issue(holderTwice, fields), "holder.IdNumber" },
                { "/api/v1/certificates", Issue(holder, """{"spouseName":"李四","SpouseName":"王五","registeredOn":"2020-05-20","registrationOffice":"北京市西城区民政局"}"""), "fields.SpouseName" },
                { "/api/v1/certificates/batch", $$"""{"items":[{{Issue(holder, fields)}},{{Issue(holderTwice, fields)}}]}""", "items[1].holder.IdNumber" },
                { "/api/v1/admin/citizens", $$"""{"idNumber":"{{ApiFactory.HolderNumber}}","IdNumber":"{{Other}}","name":"张三","password":"counter password 1"}""", "IdNumber" },
                { "/api/v1/admin/citizens/unlock", $$"""{"idNumber":"{{ApiFactory.HolderNumber}}","IDNUMBER":"{{Other}}"}""", "IDNUMBER" },
            };
        }
    }

    [Theory]
    [MemberData(nameof(CaseDuplicates))]
    public async Task CaseDuplicateMembers_AnyJsonEndpoint_400NamingTheMember_NothingChanges(string path, string body, string member)
    {
        var http = path.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? await _factory.ClientForAsync(null, "certlib.admin") : _civil;
        var before = Snapshot();

        using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal("urn:certlib:problem:validation", problem.RootElement.GetProperty("type").GetString());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(member, out _), text);
        var after = Snapshot();
        Assert.Equal((before.Certificates, before.LogSize, before.AccessLogRows, before.Citizens), (after.Certificates, after.LogSize, after.AccessLogRows, after.Citizens));
    }

    private async Task<(int Status, Outcome Outcome)> SendAsync(FuzzCase fuzzCase)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, fuzzCase.Path) { Content = new ByteArrayContent(fuzzCase.Body) };
        if (fuzzCase.ContentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", fuzzCase.ContentType);
        }

        var http = fuzzCase.Path == "/api/v1/verify" ? _anonymous : _civil;
        HttpResponseMessage response;
        try
        {
            using var bound = new CancellationTokenSource(RequestBound);
            response = await http.SendAsync(request, bound.Token);
        }
        catch (TaskCanceledException)
        {
            return (0, new Outcome($"no answer within {RequestBound.TotalSeconds} s", 0, false));
        }
        catch (HttpRequestException e)
        {
            return (0, new Outcome("transport error " + e.Message, 0, false));
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (status >= 500)
            {
                return (status, new Outcome($"{status} {Preview(Encoding.UTF8.GetBytes(text))}", 0, false));
            }

            if (status >= 400)
            {
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    return (status, new Outcome($"{status} as {response.Content.Headers.ContentType?.MediaType ?? "no content type"}: {Preview(Encoding.UTF8.GetBytes(text))}", 0, false));
                }

                try
                {
                    using var problem = JsonDocument.Parse(text);
                    if (!problem.RootElement.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString()!.Length == 0)
                    {
                        return (status, new Outcome($"{status} problem without type: {text}", 0, false));
                    }
                }
                catch (JsonException)
                {
                    return (status, new Outcome($"{status} problem is not JSON: {text}", 0, false));
                }

                return (status, new Outcome(null, 0, false));
            }

            using var json = JsonDocument.Parse(text);
            var createdHere = fuzzCase.Path switch
            {
                "/api/v1/certificates" when status == 201 => 1,
                "/api/v1/certificates/batch" => json.RootElement.GetProperty("created").GetInt64(),
                _ => 0,
            };
            if (fuzzCase.Path == "/api/v1/verify" && !json.RootElement.TryGetProperty("result", out _))
            {
                return (status, new Outcome("verify answer without result: " + text, 0, false));
            }

            return (status, new Outcome(null, createdHere, fuzzCase.Path == "/api/v1/holders/lookup"));
        }
    }

    private FuzzCase NextCase(Random random, int number)
    {
        var target = random.Next(5);
        var (path, seedBody) = target switch
        {
            0 => ("/api/v1/verify", VerifySeed(random)),
            1 => ("/api/v1/holders/lookup", JsonSerializer.Serialize(new
            {
                idNumber = random.Next(2) == 0 ? ApiFactory.HolderNumber : "110105194912310029",
                purpose = "办理住房公积金提取",
                serviceItem = random.Next(2) == 0 ? "DEMO-HF-001" : null,
            })),
            2 => ("/api/v1/certificates", JsonSerializer.Serialize(ApiFactory.MarriageRequest())),
            3 => ("/api/v1/certificates/batch", JsonSerializer.Serialize(new { items = new[] { ApiFactory.MarriageRequest(), ApiFactory.MarriageRequest() } })),
            _ => ($"/api/v1/certificates/{(random.Next(4) == 0 ? MutateText(random, _revokedId, out _).Replace("\0", string.Empty, StringComparison.Ordinal) : _revokedId)}/revoke", "{\"reason\":\"证件遗失\"}"),
        };
        var body = Mutate(random, seedBody, out var mutation);
        string? contentType = random.Next(20) switch
        {
            0 => null,
            1 => "text/plain",
            2 => "application/json; charset=latin1",
            3 => "application/merge-patch+json",
            _ => "application/json",
        };
        return new FuzzCase(number, "POST", path.StartsWith("/api/v1/certificates/", StringComparison.Ordinal) && !path.EndsWith("/batch", StringComparison.Ordinal)
            ? EscapePath(path) : path, body, contentType, mutation + (contentType == "application/json" ? string.Empty : $" as {contentType ?? "no type"}"));
    }

    private static string EscapePath(string path)
    {
        var parts = path.Split('/');
        parts[4] = Uri.EscapeDataString(parts[4]);
        return string.Join('/', parts);
    }

    private string VerifySeed(Random random) => random.Next(3) switch
    {
        0 => new JsonObject { ["qr"] = _qrTexts[random.Next(_qrTexts.Count)] }.ToJsonString(),
        1 => new JsonObject { ["jws"] = _compactJws[random.Next(_compactJws.Count)] }.ToJsonString(),
        _ => new JsonObject { ["jws"] = JsonNode.Parse(_generalJws[random.Next(_generalJws.Count)]) }.ToJsonString(),
    };

    /// <summary>One mutation (sometimes two) of the seed's bytes or of its JSON structure.</summary>
    private static byte[] Mutate(Random random, string seed, out string mutation)
    {
        var rounds = random.Next(4) == 0 ? 2 : 1;
        var names = new List<string>();
        var bytes = Encoding.UTF8.GetBytes(seed);
        for (var round = 0; round < rounds; round++)
        {
            var kind = random.Next(12);
            names.Add(kind switch
            {
                0 => "bit flips",
                1 => "truncation",
                2 => "duplicated slice",
                3 => "invalid UTF-8",
                4 => "deep nesting",
                5 => "hostile value",
                6 => "mutated string",
                7 => "removed member",
                8 => "wrong root",
                9 => "huge body",
                10 => "duplicate key",
                _ => "structural garbage",
            });
            bytes = kind switch
            {
                0 => FlipBits(random, bytes),
                1 => bytes[..random.Next(bytes.Length)],
                2 => DuplicateSlice(random, bytes),
                3 => InsertAt(random, bytes, InvalidUtf8[random.Next(InvalidUtf8.Length)]),
                4 => DeepNesting(random, bytes),
                5 => ReplaceValue(random, bytes, n => Hostile(random)),
                6 => ReplaceValue(random, bytes, n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String
                    ? JsonValue.Create(MutateText(random, v.GetValue<string>(), out _)) : Hostile(random)),
                7 => RemoveMember(random, bytes),
                8 => Encoding.UTF8.GetBytes(WrongRoots[random.Next(WrongRoots.Length)]),
                9 => Encoding.UTF8.GetBytes("{\"items\":\"" + new string('A', random.Next(40) == 0 ? 4_200_000 : 60_000 + random.Next(10_000)) + "\"}"),
                10 => DuplicateKey(bytes),
                _ => InsertAt(random, bytes, Encoding.UTF8.GetBytes(Garbage[random.Next(Garbage.Length)])),
            };
        }

        mutation = string.Join(" + ", names);
        return bytes;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0x80, 0x80, 0x80], [0x00],
    ];

    private static readonly string[] WrongRoots = ["null", "[]", "42", "\"text\"", "true", "", " ", "{}", "[{}]", "1e999999", "{\"qr\":null,\"jws\":null}"];

    private static readonly string[] Garbage = ["}", "{", "]", "[", ",", ":", "\"", "\\", "\\u", "\\uD800", "/*", "//", "NaN", "Infinity", "\u0000", "'", ",,", "{\"a\":}"];

    private static readonly string[] Injections =
    [
        "' OR '1'='1", "'; DROP TABLE certificates; --", "1; DELETE FROM access_log", "\" OR \"\"=\"", "') UNION SELECT sqlite_version(), null --",
        "$1", "%s%s%s%n", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${jndi:ldap://127.0.0.1/a}",
        "../../../../etc/passwd", "\u202E\u0000\uFEFF", "𠜎𠜱𠝹", "\uD800", "CL1:", "CL1:..", "CL1:a.b.c", "https://localhost/v/", "http://localhost/v/../../admin",
    ];

    private static JsonNode? Hostile(Random random) => random.Next(14) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0 ? long.MaxValue : long.MinValue),
        2 => JsonNode.Parse("1" + new string('9', random.Next(20, 400))),
        3 => JsonNode.Parse("-1e308"),
        4 => JsonValue.Create(random.NextDouble() * 1e300),
        5 => JsonValue.Create(new string('长', random.Next(1, 40_000))),
        6 => JsonValue.Create(Injections[random.Next(Injections.Length)]),
        7 => new JsonArray(JsonValue.Create(1), JsonValue.Create("x"), null),
        8 => new JsonObject { ["idNumber"] = "11010519491231002X", ["$where"] = "1==1" },
        9 => JsonValue.Create(random.Next(2) == 0),
        10 => JsonValue.Create(string.Empty),
        11 => JsonValue.Create("9999-12-31T23:59:59.9999999+14:00"),
        12 => JsonValue.Create(new string(' ', random.Next(1, 300))),
        _ => JsonValue.Create(random.Next(int.MinValue, int.MaxValue)),
    };

    private static string MutateText(Random random, string text, out string how)
    {
        if (text.Length == 0)
        {
            how = "empty";
            return Injections[random.Next(Injections.Length)];
        }

        var chars = text.ToCharArray();
        switch (random.Next(7))
        {
            case 0:
                how = "char flips";
                for (var i = 0; i < 1 + random.Next(4); i++)
                {
                    var at = random.Next(chars.Length);
                    chars[at] = (char)(chars[at] ^ (1 << random.Next(7)));
                }

                return new string(chars);
            case 1:
                how = "truncated";
                return text[..random.Next(text.Length)];
            case 2:
                how = "duplicated";
                var start = random.Next(text.Length);
                var slice = text[start..Math.Min(text.Length, start + random.Next(1, 200))];
                return text[..start] + slice + slice + text[start..];
            case 3:
                how = "swapped dots";
                return text.Replace('.', random.Next(2) == 0 ? '~' : '.').Insert(random.Next(text.Length), ".");
            case 4:
                how = "injection";
                return text.Insert(random.Next(text.Length), Injections[random.Next(Injections.Length)]);
            case 5:
                how = "very long";
                return text + new string(text[random.Next(text.Length)], random.Next(1_000, 70_000));
            default:
                how = "reversed";
                return new string([.. chars.Reverse()]);
        }
    }

    private static byte[] FlipBits(Random random, byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = 0; i < 1 + random.Next(8) && copy.Length > 0; i++)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        }

        return copy;
    }

    private static byte[] DuplicateSlice(Random random, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return bytes;
        }

        var start = random.Next(bytes.Length);
        var length = random.Next(1, bytes.Length - start + 1);
        var times = random.Next(1, 50);
        var result = new List<byte>(bytes[..start]);
        for (var i = 0; i <= times; i++)
        {
            result.AddRange(bytes.AsSpan(start, length).ToArray());
        }

        result.AddRange(bytes[(start + length)..]);
        return [.. result];
    }

    private static byte[] InsertAt(Random random, byte[] bytes, byte[] insert)
    {
        var at = random.Next(bytes.Length + 1);
        return [.. bytes[..at], .. insert, .. bytes[at..]];
    }

    private static byte[] DeepNesting(Random random, byte[] bytes)
    {
        var depth = random.Next(2) == 0 ? 10_000 : random.Next(15, 100);
        var open = random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        var text = Encoding.UTF8.GetString(bytes);
        var node = TryParse(bytes);
        if (node is JsonObject obj && obj.Count > 0)
        {
            // Put the nesting where a value belongs, so the parser gets past the outer object.
            var key = obj.ElementAt(random.Next(obj.Count)).Key;
            obj.Remove(key);
            var rest = obj.ToJsonString();
            return Encoding.UTF8.GetBytes("{" + JsonSerializer.Serialize(key) + ":" + nested + (rest == "{}" ? "}" : "," + rest[1..]));
        }

        return Encoding.UTF8.GetBytes(text.Length > 0 && random.Next(2) == 0 ? nested + text : nested);
    }

    private static byte[] ReplaceValue(Random random, byte[] bytes, Func<JsonNode?, JsonNode?> replacement)
    {
        var root = TryParse(bytes);
        if (root is null)
        {
            return bytes;
        }

        var slots = new List<(JsonNode Parent, object Key)>();
        Collect(root, slots);
        if (slots.Count == 0)
        {
            return Encoding.UTF8.GetBytes(replacement(root)?.ToJsonString() ?? "null");
        }

        var (parent, key) = slots[random.Next(slots.Count)];
        if (parent is JsonObject obj)
        {
            var name = (string)key;
            obj[name] = replacement(obj[name]?.DeepClone());
        }
        else
        {
            var array = (JsonArray)parent;
            var index = (int)key;
            array[index] = replacement(array[index]?.DeepClone());
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static byte[] RemoveMember(Random random, byte[] bytes)
    {
        var root = TryParse(bytes);
        var slots = new List<(JsonNode Parent, object Key)>();
        if (root is not null)
        {
            Collect(root, slots);
        }

        var members = slots.Where(s => s.Parent is JsonObject).ToList();
        if (members.Count == 0)
        {
            return bytes;
        }

        var (parent, key) = members[random.Next(members.Count)];
        ((JsonObject)parent).Remove((string)key);
        return Encoding.UTF8.GetBytes(root!.ToJsonString());
    }

    private static byte[] DuplicateKey(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        return text.StartsWith('{') && text.Length > 2
            ? Encoding.UTF8.GetBytes("{" + text[1..^1] + "," + text[1..^1] + "}")
            : bytes;
    }

    private static void Collect(JsonNode node, List<(JsonNode Parent, object Key)> slots)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    slots.Add((obj, key));
                    if (value is not null)
                    {
                        Collect(value, slots);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    slots.Add((array, i));
                    if (array[i] is { } item)
                    {
                        Collect(item, slots);
                    }
                }

                break;
        }
    }

    private static JsonNode? TryParse(byte[] bytes)
    {
        try
        {
            _ = StrictUtf8.GetCharCount(bytes); // invalid UTF-8 inside strings surfaces only when a value is read
            var node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
            if (node is not null)
            {
                // Duplicate keys and lone surrogates surface only when an object is enumerated or a value read.
                var slots = new List<(JsonNode Parent, object Key)>();
                Collect(node, slots);
                foreach (var value in slots.Select(s => s.Parent is JsonObject o ? o[(string)s.Key] : ((JsonArray)s.Parent)[(int)s.Key]).OfType<JsonValue>())
                {
                    if (value.GetValueKind() == JsonValueKind.String)
                    {
                        _ = value.GetValue<string>();
                    }
                }
            }

            return node;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null; // also DecoderFallbackException
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)]);
        return JsonSerializer.Serialize(text) + (body.Length > 300 ? $"… ({body.Length} bytes)" : string.Empty);
    }

    private StoredState Snapshot()
    {
        using var connection = new SqliteConnection($"Data Source={_factory.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        long Count(string table)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {table}";
            return (long)command.ExecuteScalar()!;
        }

        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, status, COALESCE(status_reason, '') FROM certificates";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                statuses[reader.GetString(0)] = reader.GetString(1) + "/" + reader.GetString(2);
            }
        }

        return new StoredState(Count("certificates"), Count("log_entries"), Count("access_log"), Count("identity_citizens"), statuses);
    }

    private sealed record FuzzCase(int Number, string Method, string Path, byte[] Body, string? ContentType, string Mutation);

    private sealed record Outcome(string? Failure, long Created, bool LookupOk);

    private sealed record StoredState(long Certificates, long LogSize, long AccessLogRows, long Citizens, IReadOnlyDictionary<string, string> Statuses);
}
