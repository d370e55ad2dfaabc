using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Api.Apis;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Verification;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

public sealed class VerificationTests : IAsyncLifetime
{
    private const string DisabilityType = ApiFactory.CivilAffairs + "002";
    private const string PropertyType = ApiFactory.Housing + "001";
    private readonly ApiFactory _factory = new();
    private HttpClient _civil = null!;
    private HttpClient _public = null!;

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
        _public = _factory.CreateClient();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    private async Task<JsonElement> IssueAsync(HttpClient http, object request)
    {
        using var response = await ApiFactory.PostJsonAsync(http, "/api/v1/certificates", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ApiFactory.JsonAsync(response);
    }

    private Task<JsonElement> IssueMarriageAsync() => IssueAsync(_civil, ApiFactory.MarriageRequest());

    private static async Task<string> QrTextAsync(HttpClient http, string id, string query = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr{query}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<JsonElement> VerifyAsync(object body)
    {
        using var response = await _public.PostAsJsonAsync("/api/v1/verify", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiFactory.JsonAsync(response);
    }

    private async Task<JsonElement> VerifyRawAsync(string json)
    {
        using var response = await _public.PostAsync("/api/v1/verify", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiFactory.JsonAsync(response);
    }

    private Task ChangeStatusAsync(string id, string action) =>
        ApiFactory.PostJsonAsync(_civil, $"/api/v1/certificates/{id}/{action}", new { reason = "测试" }).ContinueWith(t => Assert.Equal(HttpStatusCode.OK, t.Result.StatusCode));

    private static string Result(JsonElement answer) => answer.GetProperty("result").GetString()!;

    private static string Reasons(JsonElement answer) => string.Join("; ", answer.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));

    [Fact]
    public async Task TrustList_Get_SignedByPlatformNextUpdate24hCacheable()
    {
        using var response = await _public.GetAsync("/api/v1/trust-list");
        var json = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        Assert.Contains("max-age", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var document = JsonNode.Parse(json)!;
        var payload = JsonNode.Parse(Base64Url.Decode(document["payload"]!.GetValue<string>()))!;
        var roots = payload["rootKeys"]!.AsArray().Select(r => (JsonObject)r!.DeepClone()).ToList();
        var suites = _factory.Services.GetRequiredService<SignatureSuites>();
        var verified = TrustList.Verify(document, roots, suites, DateTimeOffset.UtcNow);
        Assert.True(verified.IsValid, string.Join(", ", verified.Reasons));
        Assert.Equal(TimeSpan.FromHours(24), verified.Document!.NextUpdate - verified.Document.IssuedAt);
        Assert.Equal(2, roots.Count);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/v1/trust-list");
        conditional.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var notModified = await _public.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task StatusList_Revoke_BitFlipsAndETagChanges()
    {
        var certificate = await IssueMarriageAsync();
        var id = certificate.GetProperty("id").GetString()!;
        var listId = certificate.GetProperty("statusList").GetProperty("listId").GetString()!;
        var index = certificate.GetProperty("statusList").GetProperty("index").GetInt32();
        var before = await GetStatusListAsync(listId, null);

        await ChangeStatusAsync(id, "revoke");
        var after = await GetStatusListAsync(listId, null);

        Assert.False(before.List.IsSet(index));
        Assert.True(after.List.IsSet(index));
        Assert.NotEqual(before.ETag, after.ETag);
        Assert.True(after.List.Bits.Length * 8 >= 131_072);
        Assert.Equal("revocation", after.List.Purpose);
        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/status-lists/{listId}");
        conditional.Headers.IfNoneMatch.Add(after.ETag);
        using var notModified = await _public.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        conditional.Headers.IfNoneMatch.Clear();
        using var stale = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/status-lists/{listId}");
        stale.Headers.IfNoneMatch.Add(before.ETag);
        using var changed = await _public.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task StatusList_Suspend_SetInBothPurposes_UnknownList404()
    {
        var certificate = await IssueMarriageAsync();
        var listId = certificate.GetProperty("statusList").GetProperty("listId").GetString()!;
        var index = certificate.GetProperty("statusList").GetProperty("index").GetInt32();

        await ChangeStatusAsync(certificate.GetProperty("id").GetString()!, "suspend");

        Assert.True((await GetStatusListAsync(listId, null)).List.IsSet(index));
        Assert.True((await GetStatusListAsync(listId, "suspension")).List.IsSet(index));
        using var missing = await _public.GetAsync("/api/v1/status-lists/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<(StatusList List, EntityTagHeaderValue ETag)> GetStatusListAsync(string listId, string? purpose)
    {
        using var response = await _public.GetAsync($"/api/v1/status-lists/{listId}" + (purpose is null ? "" : "?purpose=" + purpose));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var resolver = await PlatformResolverAsync();
        var list = StatusListCredential.Read(JsonNode.Parse(await response.Content.ReadAsStringAsync()), resolver, out var failure);
        Assert.True(list is not null, failure);
        return (list!, response.Headers.ETag!);
    }

    private async Task<IJwsKeyResolver> PlatformResolverAsync()
    {
        var json = await _public.GetStringAsync("/api/v1/trust-list");
        var document = JsonNode.Parse(json)!;
        var roots = JsonNode.Parse(Base64Url.Decode(document["payload"]!.GetValue<string>()))!["rootKeys"]!.AsArray().Select(r => (JsonObject)r!.DeepClone());
        return TrustList.Verify(document, roots, _factory.Services.GetRequiredService<SignatureSuites>(), DateTimeOffset.UtcNow).KeyResolver!;
    }

    [Fact]
    public async Task OfflineQr_DefaultType_DualSignedValidWithMaskedFieldsOnly()
    {
        var id = (await IssueMarriageAsync()).GetProperty("id").GetString()!;
        var qr = await QrTextAsync(_civil, id, "?form=offline");

        var answer = await VerifyAsync(new { qr });

        Assert.StartsWith("CL2:", qr, StringComparison.Ordinal);
        Assert.Equal("valid", Result(answer));
        Assert.Equal("张*三", answer.GetProperty("certificate").GetProperty("holderName").GetString());
        Assert.Equal(id, answer.GetProperty("certificate").GetProperty("id").GetString());
        Assert.DoesNotContain(ApiFactory.HolderNumber, answer.GetRawText(), StringComparison.Ordinal);
        Assert.True(CoseQr.TryDecode(qr, out var message, out _));
        Assert.Equal(["SM2", "ES256"], message.Signers.Select(s => s.Algorithm));
        var claims = CoseQr.ReadClaims(message.Payload, out _)!;
        Assert.True(HolderBindingKdf.Matches(Base64Url.Decode(claims.HolderBinding!), Base64Url.Decode(claims.HolderSalt!), ApiFactory.HolderNumber));
    }

    [Fact]
    public async Task OfflineQr_Sm2Type_ValidSignedWithSm2()
    {
        var certificate = await IssueAsync(_civil, new
        {
            typeCode = DisabilityType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "欧阳小明" },
            number = "D1",
            fields = new { category = "视力", grade = 2 },
        });
        var qr = await QrTextAsync(_civil, certificate.GetProperty("id").GetString()!);

        var answer = await VerifyAsync(new { qr });

        Assert.Equal("valid", Result(answer));
        Assert.True(CoseQr.TryDecode(qr, out var message, out _));
        Assert.Equal(["SM2"], message.Signers.Select(s => s.Algorithm)); // qrSuites ["SM2"]: a COSE_Sign1
        Assert.Null(message.BodyProtected);
        Assert.Equal("欧*明", answer.GetProperty("certificate").GetProperty("holderName").GetString());
    }

    [Fact]
    public async Task OfflineQr_RevokedThenScanned_Revoked_SuspendedThenScanned_Suspended()
    {
        var revokedId = (await IssueMarriageAsync()).GetProperty("id").GetString()!;
        var suspendedId = (await IssueMarriageAsync()).GetProperty("id").GetString()!;
        var revokedQr = await QrTextAsync(_civil, revokedId, "?form=offline");
        var suspendedQr = await QrTextAsync(_civil, suspendedId, "?form=offline");
        Assert.Equal("valid", Result(await VerifyAsync(new { qr = revokedQr })));

        await ChangeStatusAsync(revokedId, "revoke");
        await ChangeStatusAsync(suspendedId, "suspend");

        Assert.Equal("revoked", Result(await VerifyAsync(new { qr = revokedQr })));
        Assert.Equal("suspended", Result(await VerifyAsync(new { qr = suspendedQr })));
        await ChangeStatusAsync(suspendedId, "reinstate");
        Assert.Equal("valid", Result(await VerifyAsync(new { qr = suspendedQr })));
    }

    [Fact]
    public async Task OfflineQr_PastValidUntil_Expired()
    {
        var request = new
        {
            typeCode = ApiFactory.MarriageType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "E1",
            validFrom = "2020-01-01T00:00:00Z",
            validUntil = "2021-01-01T00:00:00Z",
            fields = new { spouseName = "李四", registeredOn = "2020-05-20", registrationOffice = "x" },
        };
        var id = (await IssueAsync(_civil, request)).GetProperty("id").GetString()!;

        var answer = await VerifyAsync(new { qr = await QrTextAsync(_civil, id, "?form=offline") });

        Assert.Equal("expired", Result(answer));
    }

    [Fact]
    public async Task OfflineQr_KeyNotInTrustList_UnknownIssuer()
    {
        var suite = _factory.Services.GetRequiredService<SignatureSuites>().Get("ES256");
        var pair = suite.GenerateKeyPair();
        var signer = new JwsSigner("ES256", KeyId.Compute(pair.SubjectPublicKeyInfo), suite.CreateSigner(pair.Pkcs8PrivateKey));
        var now = DateTimeOffset.UtcNow;
        var qr = OfflineQr.Create(new QrClaims($"1.2.156.3005.2.{ApiFactory.MarriageType}.{ApiFactory.CivilAffairs}.X.001.Y", ApiFactory.MarriageType,
            ApiFactory.CivilAffairs, "张小三", now, now.AddYears(1), "1", 5), ApiFactory.HolderNumber, signer);

        var answer = await VerifyAsync(new { qr });

        Assert.Equal("unknown-issuer", Result(answer));
        Assert.Contains("unknown kid", Reasons(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfflineQr_IssuerKeyRevoked_Invalid()
    {
        var id = (await IssueMarriageAsync()).GetProperty("id").GetString()!;
        var qr = await QrTextAsync(_civil, id, "?form=offline");
        Assert.True(CoseQr.TryDecode(qr, out var message, out _));
        var kid = message.Signers[1].KeyId!;

        Assert.True(await _factory.Services.GetRequiredService<KeyManager>().RevokeAsync(kid, CancellationToken.None));
        var answer = await VerifyAsync(new { qr });

        Assert.Equal("invalid", Result(answer));
        Assert.Contains("revoked", Reasons(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfflineQr_SignedByAnotherDepartmentsKey_Invalid()
    {
        var certificate = await IssueMarriageAsync();
        var keys = _factory.Services.GetRequiredService<KeyManager>();
        var housingSigner = (await keys.GetSignersAsync(ApiFactory.Housing, CancellationToken.None)).Single(s => s.Algorithm == "ES256");
        var slot = certificate.GetProperty("statusList");
        var now = DateTimeOffset.UtcNow;
        var qr = OfflineQr.Create(new QrClaims(certificate.GetProperty("id").GetString()!, ApiFactory.MarriageType, ApiFactory.CivilAffairs, "张小三",
            now.AddDays(-1), now.AddYears(1), slot.GetProperty("listId").GetString()!, slot.GetProperty("index").GetInt32()), ApiFactory.HolderNumber, housingSigner);

        var answer = await VerifyAsync(new { qr });

        Assert.Equal("invalid", Result(answer));
        Assert.Contains("another owner", Reasons(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfflineQr_SymbolAtEccQ_VersionReported()
    {
        var id = (await IssueMarriageAsync()).GetProperty("id").GetString()!;
        var qr = await QrTextAsync(_civil, id, "?form=offline");
        using var png = await _civil.GetAsync($"/api/v1/certificates/{id}/qr?form=offline");
        using var svgRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form=offline");
        svgRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/svg+xml"));
        using var svg = await _civil.SendAsync(svgRequest);

        using var data = QrApi.Encode(qr);

        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], (await png.Content.ReadAsByteArrayAsync())[..4]);
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<svg", await svg.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // SPEC asks for ≤ 15; a compact JWS with the mandated claims (82-character id, 2 × 22-character salt and
        // binding, 64-byte signature) is ~500 bytes, beyond version 15-Q's 292 bytes. See the README of the verifier.
        Console.WriteLine($"offline QR: {qr.Length} characters, version {data.Version} at ECC Q");
        Assert.InRange(data.Version, 1, QrLimits.MaxOfflineVersion);
        Assert.Equal(data.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), png.Headers.GetValues("X-Qr-Version").Single());
    }

    [Fact]
    public async Task OnlineQr_PageAndVerify_LiveResult()
    {
        var housing = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.issue", "certlib.use");
        var certificate = await IssueAsync(housing, new
        {
            typeCode = PropertyType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "P1",
            fields = new { address = "北京市", area = 88.5 },
        });
        var id = certificate.GetProperty("id").GetString()!;
        var url = await QrTextAsync(housing, id, "?purpose=" + Uri.EscapeDataString("办理贷款"));
        Assert.Matches("^http://localhost/v/[A-Za-z0-9_-]{22}$", url);

        var answer = await VerifyAsync(new { qr = url });
        var page = await _public.GetStringAsync(new Uri(url).PathAndQuery);

        Assert.Equal("valid", Result(answer));
        Assert.Equal("办理贷款", answer.GetProperty("purpose").GetString());
        Assert.Contains("有效", page, StringComparison.Ordinal);
        Assert.Contains("data-result=\"valid\"", page, StringComparison.Ordinal);

        using var revoke = await ApiFactory.PostJsonAsync(housing, $"/api/v1/certificates/{id}/revoke", new { reason = "注销" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal("revoked", Result(await VerifyAsync(new { qr = url })));
        Assert.Contains("无效", await _public.GetStringAsync(new Uri(url).PathAndQuery), StringComparison.Ordinal);
        Assert.Equal("invalid", Result(await VerifyAsync(new { qr = "http://localhost/v/AAAAAAAAAAAAAAAAAAAAAA" })));
    }

    [Fact]
    public async Task OnlineQr_OfflineOnlyType_409()
    {
        var certificate = await IssueAsync(_civil, new
        {
            typeCode = DisabilityType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张三" },
            number = "D2",
            fields = new { category = "视力", grade = 2 },
        });

        using var response = await _civil.GetAsync($"/api/v1/certificates/{certificate.GetProperty("id").GetString()}/qr?form=online");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task Qr_NotVisibleToCaller_404()
    {
        var certificate = await IssueAsync(_civil, new
        {
            typeCode = DisabilityType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张三" },
            number = "D3",
            fields = new { category = "视力", grade = 2 },
        });
        var id = certificate.GetProperty("id").GetString()!;
        var other = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.use");

        using var response = await other.GetAsync($"/api/v1/certificates/{id}/qr");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Jws_CertificateSignature_ValidAndRequiresBothSuites()
    {
        var certificate = await IssueMarriageAsync();
        var signature = JsonNode.Parse(certificate.GetProperty("signature").GetRawText())!.AsObject();
        var onlyOne = (JsonObject)signature.DeepClone();
        onlyOne["signatures"]!.AsArray().RemoveAt(0);

        var valid = await VerifyAsync(new { jws = signature });
        var missing = await VerifyAsync(new { jws = onlyOne });
        var asText = await VerifyAsync(new { jws = signature.ToJsonString() });

        Assert.Equal("valid", Result(valid));
        Assert.Equal("张*三", valid.GetProperty("certificate").GetProperty("holderName").GetString());
        Assert.Equal("invalid", Result(missing));
        Assert.Contains("required alg missing", Reasons(missing), StringComparison.Ordinal);
        Assert.Equal("valid", Result(asText));
    }

    public static TheoryData<string, string> HostileQr(string valid, string other)
    {
        var parts = valid[4..].Split('.');
        var otherParts = other[4..].Split('.');
        static string Header(string alg, string kid) => Base64Url.Encode(Encoding.UTF8.GetBytes($"{{\"alg\":\"{alg}\",\"kid\":\"{kid}\",\"typ\":\"certlib-qr+jwt\"}}"));
        var kid = JsonNode.Parse(Base64Url.Decode(parts[0]))!["kid"]!.GetValue<string>();
        var tampered = JsonNode.Parse(Base64Url.Decode(parts[1]))!.AsObject();
        tampered["n"] = "李*四";
        return new TheoryData<string, string>
        {
            { "truncated", valid[..(valid.Length - 10)] },
            { "extra dots", valid + ".x" },
            { "bad base64url", "CL1:" + parts[0] + ".!!!*." + parts[2] },
            { "alg none", "CL1:" + Header("none", kid) + "." + parts[1] + "." },
            { "wrong alg", "CL1:" + Header("SM2", kid) + "." + parts[1] + "." + parts[2] },
            { "tampered payload", "CL1:" + parts[0] + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(tampered.ToJsonString())) + "." + parts[2] },
            { "other certificate's signature", "CL1:" + parts[0] + "." + otherParts[1] + "." + parts[2] },
            { "no prefix", parts[0] + "x" },
            { "empty", "" },
        };
    }

    [Fact]
    public async Task Verify_HostileQrInputs_InvalidWithReason()
    {
        // Format 1 is no longer issued but still read: its hostile corpus runs on QR made with the department's key.
        var valid = await FormatOneQrAsync(await IssueMarriageAsync());
        var other = await FormatOneQrAsync(await IssueMarriageAsync());
        Assert.Equal("valid", Result(await VerifyAsync(new { qr = valid })));

        foreach (var row in HostileQr(valid, other))
        {
            var name = (string)row[0];
            var answer = await VerifyAsync(new { qr = (string)row[1] });
            Assert.True(Result(answer) == "invalid", $"{name}: {answer.GetRawText()}");
            Assert.True(answer.GetProperty("reasons").GetArrayLength() > 0, name);
        }
    }

    // A format-1 QR of an issued certificate, signed with its department's ES256 key (as issued before format 2).
    private async Task<string> FormatOneQrAsync(JsonElement certificate)
    {
        var signer = (await _factory.Services.GetRequiredService<KeyManager>().GetSignersAsync(ApiFactory.CivilAffairs, CancellationToken.None)).Single(s => s.Algorithm == "ES256");
        var slot = certificate.GetProperty("statusList");
        var now = DateTimeOffset.UtcNow;
        return OfflineQr.Create(new QrClaims(certificate.GetProperty("id").GetString()!, ApiFactory.MarriageType, ApiFactory.CivilAffairs, "张小三",
            now.AddDays(-1), now.AddYears(1), slot.GetProperty("listId").GetString()!, slot.GetProperty("index").GetInt32()), ApiFactory.HolderNumber, signer);
    }

    [Fact]
    public async Task Verify_FormatTwoHostileCorpus_InvalidWithReasonNever500()
    {
        // The corpus the verifier library runs (bad base45, zlib bombs, deep CBOR, wrong tags, 1,000 signers, a garbage
        // signer beside a genuine one, …), built here from a QR the API issued, so that its genuine signatures are trusted.
        var qr = await QrTextAsync(_civil, (await IssueMarriageAsync()).GetProperty("id").GetString()!, "?form=offline");
        Assert.Equal("valid", Result(await VerifyAsync(new { qr })));

        foreach (var (name, text, reason) in CertLibrary.Testing.CoseQrCorpus.Hostile(qr))
        {
            using var response = await _public.PostAsJsonAsync("/api/v1/verify", new { qr = text, idNumber = ApiFactory.HolderNumber });
            var answer = await ApiFactory.JsonAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {answer.GetRawText()}");
            Assert.True(Result(answer) == "invalid", $"{name}: {answer.GetRawText()}");
            var reasons = answer.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList();
            Assert.True(reasons.Count > 0 && reasons.Any(r => r.Contains(reason, StringComparison.Ordinal)), $"{name}: {answer.GetRawText()}");
            Assert.False(answer.TryGetProperty("certificate", out var certificate) && certificate.ValueKind == JsonValueKind.Object, name);
        }
    }

    [Fact]
    public async Task Verify_WithIdNumber_SaysWhetherHolderBindingMatches()
    {
        var qr = await QrTextAsync(_civil, (await IssueMarriageAsync()).GetProperty("id").GetString()!, "?form=offline");

        var match = await VerifyAsync(new { qr, idNumber = ApiFactory.HolderNumber.ToLowerInvariant() });
        var mismatch = await VerifyAsync(new { qr, idNumber = "110105194912310010" });
        var without = await VerifyAsync(new { qr });
        var notString = await VerifyAsync(new { qr, idNumber = 7 });

        Assert.Equal("valid", Result(match));
        Assert.Equal("match", match.GetProperty("holderBinding").GetString());
        Assert.Equal("valid", Result(mismatch));
        Assert.Equal("mismatch", mismatch.GetProperty("holderBinding").GetString());
        Assert.False(without.TryGetProperty("holderBinding", out _));
        Assert.Equal("invalid", Result(notString));
        Assert.DoesNotContain(ApiFactory.HolderNumber, match.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OfflineQr_RenderedTwice_SameHolderBindingComputedOnce()
    {
        var id = (await IssueMarriageAsync()).GetProperty("id").GetString()!;

        var first = await QrTextAsync(_civil, id, "?form=offline");
        var second = await QrTextAsync(_civil, id, "?form=offline");

        Assert.True(CoseQr.TryDecode(first, out var one, out _));
        Assert.True(CoseQr.TryDecode(second, out var two, out _));
        var a = CoseQr.ReadClaims(one.Payload, out _)!;
        var b = CoseQr.ReadClaims(two.Payload, out _)!;
        Assert.Equal(a.HolderSalt, b.HolderSalt);
        Assert.Equal(a.HolderBinding, b.HolderBinding);
    }

    [Fact]
    public async Task Verify_HostileBodies_InvalidNever500()
    {
        var nested = new string('[', 5000) + new string(']', 5000);
        var bodies = new[]
        {
            "{\"qr\": \"CL1:" + new string('A', 70_000) + "\"}",
            "{\"jws\": " + nested + "}",
            "{\"jws\": {\"payload\": \"e30\", \"signatures\": [{\"protected\": \"" + Base64Url.Encode("{\"alg\":\"none\"}"u8) + "\", \"signature\": \"\"}]}}",
            "{\"jws\": \"a.b.c.d\"}",
            "not json",
            "[]",
            "{\"qr\": 5}",
            "{\"qr\": \"" + new string('x', 10_000) + "\"}",
            "{\"qr\": \"x\", \"qr\": \"CL1:a.b.c\"}",
            "{\"qr\": \"\\ud800\"}",
            "{\"qr\": \"CL1:a.b.c\"} trailing",
            "{\"qr\": \"CL1:a.b.c\"",
        };

        foreach (var body in bodies)
        {
            var answer = await VerifyRawAsync(body);
            Assert.Equal("invalid", Result(answer));
            Assert.True(answer.GetProperty("reasons").GetArrayLength() > 0, body[..Math.Min(body.Length, 60)]);
        }
    }
}
