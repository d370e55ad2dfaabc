using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CertLibrary.Identifiers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// One-number lookup, service items, consent and the access log (SPEC §6), over HTTP with real tokens. Citizen tokens are
/// minted by the identity provider's own token factory (same key, issuer and audience as /connect/token) until the
/// authorization-code flow is merged; the API validates them through discovery/JWKS like any other token.
/// </summary>
public sealed class OneNumberTests : IAsyncLifetime
{
    private const string Lookup = "/api/v1/holders/lookup";
    private const string PropertyType = ApiFactory.Housing + "001";
    private const string DisabilityType = ApiFactory.CivilAffairs + "002";
    private const string HousingItem = "DEMO-HF-001";
    private const string DisabilityItem = "DEMO-CA-001";
    private const string ConsentRequiredType = "urn:certlib:problem:consent-required";

    private readonly ApiFactory _factory = new();
    private HttpClient _civil = null!;
    private HttpClient _housing = null!;

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
        _housing = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.issue", "certlib.use");
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Lookup_WithoutServiceItem_OnlyTypesTheDepartmentMayUse()
    {
        var marriage = await IssueAsync(_civil, ApiFactory.MarriageRequest());
        var disability = await IssueAsync(_civil, DisabilityRequest(ApiFactory.HolderNumber));
        var property = await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));

        var housingView = await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "不动产登记" });
        var civilView = await LookupOkAsync(_civil, new { idNumber = ApiFactory.HolderNumber, purpose = "婚姻登记核查" });

        Assert.Equal([marriage, property], Ids(housingView).Order(StringComparer.Ordinal));
        Assert.Equal([marriage, disability, property], Ids(civilView).Order(StringComparer.Ordinal));
        Assert.False(housingView.TryGetProperty("missing", out _));
        Assert.All(housingView.GetProperty("certificates").EnumerateArray(), c => Assert.Equal("valid", c.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Lookup_WithServiceItem_NarrowsToMaterialsAndListsSatisfiedAndMissing()
    {
        await IssueAsync(_civil, DisabilityRequest(ApiFactory.HolderNumber));
        var property = await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));

        var body = await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "公积金提取", serviceItem = HousingItem });

        Assert.Equal([property], Ids(body));
        Assert.Equal(HousingItem, body.GetProperty("serviceItem").GetProperty("code").GetString());
        Assert.True(body.GetProperty("complete").GetBoolean());
        var satisfied = Assert.Single(body.GetProperty("satisfied").EnumerateArray());
        Assert.Equal(PropertyType, satisfied.GetProperty("typeCode").GetString());
        Assert.True(satisfied.GetProperty("required").GetBoolean());
        var missing = Assert.Single(body.GetProperty("missing").EnumerateArray());
        Assert.Equal(ApiFactory.MarriageType, missing.GetProperty("typeCode").GetString());
        Assert.False(missing.GetProperty("required").GetBoolean());
        Assert.Equal("no-certificate", missing.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("suspended")]
    [InlineData("revoked")]
    [InlineData("expired")]
    public async Task Lookup_WithServiceItem_NonValidCertificateListedWithStatusButDoesNotSatisfy(string status)
    {
        var past = DateTimeOffset.UtcNow.AddYears(-3);
        var id = await IssueAsync(_housing, status == "expired"
            ? PropertyRequest(ApiFactory.HolderNumber, past, past.AddYears(1))
            : PropertyRequest(ApiFactory.HolderNumber));
        if (status != "expired")
        {
            using var change = await _housing.PostAsJsonAsync($"/api/v1/certificates/{id}/{(status == "suspended" ? "suspend" : "revoke")}", new { reason = "测试" });
            Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        }

        var body = await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "公积金提取", serviceItem = HousingItem });

        Assert.False(body.GetProperty("complete").GetBoolean());
        Assert.Empty(body.GetProperty("satisfied").EnumerateArray());
        var property = body.GetProperty("missing").EnumerateArray().Single(m => m.GetProperty("typeCode").GetString() == PropertyType);
        Assert.Equal("not-valid", property.GetProperty("reason").GetString());
        var listed = Assert.Single(property.GetProperty("certificates").EnumerateArray());
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal(status, listed.GetProperty("status").GetString());
        Assert.Equal(status, Assert.Single(body.GetProperty("certificates").EnumerateArray()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Lookup_ValidAmongInvalid_Satisfies()
    {
        var revoked = await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));
        using (var change = await _housing.PostAsJsonAsync($"/api/v1/certificates/{revoked}/revoke", new { reason = "注销" }))
        {
            Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        }

        var valid = await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));

        var body = await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "公积金提取", serviceItem = HousingItem });

        var satisfied = Assert.Single(body.GetProperty("satisfied").EnumerateArray());
        Assert.Equal([valid, revoked], satisfied.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task Lookup_ItemMaterialTheDepartmentMayNotUse_MissingAsNotPermittedWithoutCertificates()
    {
        await IssueAsync(_civil, DisabilityRequest(ApiFactory.HolderNumber));

        var housingView = await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "补贴核查", serviceItem = DisabilityItem });
        var civilView = await LookupOkAsync(_civil, new { idNumber = ApiFactory.HolderNumber, purpose = "补贴核查", serviceItem = DisabilityItem });

        Assert.Empty(housingView.GetProperty("certificates").EnumerateArray());
        var missing = housingView.GetProperty("missing").EnumerateArray().Single(m => m.GetProperty("typeCode").GetString() == DisabilityType);
        Assert.Equal("not-permitted", missing.GetProperty("reason").GetString());
        Assert.Empty(missing.GetProperty("certificates").EnumerateArray());
        Assert.True(civilView.GetProperty("complete").GetBoolean());
    }

    [Fact]
    public async Task Lookup_MissingPurpose_400NamingPurpose()
    {
        using var missing = await _housing.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber });
        using var blank = await _housing.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = "   " });

        await AssertValidationAsync(missing, "purpose");
        await AssertValidationAsync(blank, "purpose");
    }

    [Fact]
    public async Task Lookup_Purpose201Characters_400_200Characters_200()
    {
        using var tooLong = await _housing.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = new string('事', 201) });
        using var longest = await _housing.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = new string('事', 200) });

        await AssertValidationAsync(tooLong, "purpose");
        Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
    }

    [Theory]
    [InlineData("11010519491231002Y")]
    [InlineData("1101051949123")]
    [InlineData("11010520991231002X")]
    public async Task Lookup_MalformedIdNumber_400NamingTheRuleWithoutEchoingTheNumber(string idNumber)
    {
        using var response = await _housing.PostAsJsonAsync(Lookup, new { idNumber, purpose = "核查" });

        var errors = await AssertValidationAsync(response, "idNumber");
        Assert.False(string.IsNullOrWhiteSpace(errors.GetProperty("idNumber")[0].GetString()));
        Assert.DoesNotContain(idNumber, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_UnknownServiceItemOrNoToken_400And401()
    {
        using var unknown = await _housing.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = "核查", serviceItem = "NOPE" });
        using var anonymous = await _factory.CreateClient().PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = "核查" });
        var verifyOnly = await _factory.ClientForAsync(ApiFactory.Housing, "certlib.verify");
        using var wrongScope = await verifyOnly.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = "核查" });

        await AssertValidationAsync(unknown, "serviceItem");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
    }

    [Fact]
    public async Task Consent_Required_RefusedIdenticallyForHolderWithAndWithoutCertificates()
    {
        await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));
        var withCertificates = await CitizenAsync(ApiFactory.HolderNumber);
        var otherNumber = CitizenId.Create("110105", new DateOnly(1980, 1, 1), 123).ToString();
        var withNone = await CitizenAsync(otherNumber);
        await SetConsentRequiredAsync(withCertificates, true);
        await SetConsentRequiredAsync(withNone, true);

        using var first = await _housing.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = "核查", serviceItem = HousingItem });
        using var second = await _housing.PostAsJsonAsync(Lookup, new { idNumber = otherNumber, purpose = "核查", serviceItem = HousingItem });

        Assert.Equal(HttpStatusCode.Forbidden, first.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, second.StatusCode);
        var a = await ApiFactory.JsonAsync(first);
        var b = await ApiFactory.JsonAsync(second);
        Assert.Equal(ConsentRequiredType, a.GetProperty("type").GetString());
        Assert.Equal(WithoutTraceId(a), WithoutTraceId(b));
    }

    [Fact]
    public async Task Consent_GrantedForTypes_AllowsOnlyThoseTypes_WithdrawnRefusesAtOnce()
    {
        var marriage = await IssueAsync(_civil, ApiFactory.MarriageRequest());
        var property = await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);
        await SetConsentRequiredAsync(citizen, true);
        var request = new { idNumber = ApiFactory.HolderNumber, purpose = "不动产登记" };

        var consentId = await GrantAsync(citizen, new { department = ApiFactory.Housing, typeCodes = new[] { PropertyType }, expiresAt = DateTimeOffset.UtcNow.AddDays(30) });
        var granted = await LookupOkAsync(_housing, request);
        using var otherDepartment = await _civil.PostAsJsonAsync(Lookup, request);
        using var byIdNotCovered = await _housing.GetAsync($"/api/v1/certificates/{marriage}");
        using var byIdCovered = await _housing.GetAsync($"/api/v1/certificates/{property}");
        using var byIdIssuer = await _civil.GetAsync($"/api/v1/certificates/{marriage}");
        using var withdraw = await citizen.PostAsync($"/api/v1/me/consents/{consentId}/withdraw", null);
        using var afterWithdrawal = await _housing.PostAsJsonAsync(Lookup, request);

        Assert.Equal([property], Ids(granted));
        Assert.Equal(HttpStatusCode.Forbidden, otherDepartment.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byIdNotCovered.StatusCode);
        Assert.Equal(ConsentRequiredType, (await ApiFactory.JsonAsync(byIdNotCovered)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, byIdCovered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byIdIssuer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withdraw.StatusCode);
        Assert.Equal("withdrawn", (await ApiFactory.JsonAsync(withdraw)).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, afterWithdrawal.StatusCode);
        Assert.Equal(ConsentRequiredType, (await ApiFactory.JsonAsync(afterWithdrawal)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Consent_GrantedForServiceItem_CoversThatItemOnly()
    {
        var property = await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);
        await SetConsentRequiredAsync(citizen, true);
        await GrantAsync(citizen, new { department = ApiFactory.Housing, serviceItem = HousingItem, expiresAt = DateTimeOffset.UtcNow.AddDays(1) });

        var withItem = await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "公积金提取", serviceItem = HousingItem });
        using var withoutItem = await _housing.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = "公积金提取" });

        Assert.Equal([property], Ids(withItem));
        Assert.Equal(HttpStatusCode.Forbidden, withoutItem.StatusCode);
    }

    [Fact]
    public async Task Consent_Expired_Refused_AndSwitchingRequirementOffAllows()
    {
        await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);
        await SetConsentRequiredAsync(citizen, true);
        var request = new { idNumber = ApiFactory.HolderNumber, purpose = "不动产登记" };
        var consentId = await GrantAsync(citizen, new { department = ApiFactory.Housing, typeCodes = new[] { PropertyType }, expiresAt = DateTimeOffset.UtcNow.AddSeconds(2) });
        Assert.Single(Ids(await LookupOkAsync(_housing, request)));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using var expired = await _housing.PostAsJsonAsync(Lookup, request);
        var consents = await ApiFactory.JsonAsync(await citizen.GetAsync("/api/v1/me/consents"));
        await SetConsentRequiredAsync(citizen, false);
        var open = await LookupOkAsync(_housing, request);

        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        var consent = Assert.Single(consents.EnumerateArray());
        Assert.Equal(consentId, consent.GetProperty("id").GetString());
        Assert.Equal("expired", consent.GetProperty("state").GetString());
        Assert.Equal("住房和城乡建设部", consent.GetProperty("department").GetProperty("name").GetString());
        Assert.Single(Ids(open));
    }

    [Fact]
    public async Task Consent_InvalidGrant_400WithErrorsMap()
    {
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);

        using var response = await citizen.PostAsJsonAsync("/api/v1/me/consents",
            new { department = "91350100M000100Y4X", typeCodes = new[] { PropertyType }, serviceItem = HousingItem, expiresAt = DateTimeOffset.UtcNow.AddDays(-1) });

        var errors = await AssertValidationAsync(response, "department");
        Assert.True(errors.TryGetProperty("typeCodes", out _));
        Assert.True(errors.TryGetProperty("expiresAt", out _));
    }

    [Fact]
    public async Task AccessLog_EveryReadRecorded_NewestFirst_Paged()
    {
        var property = await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);
        await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "公积金提取", serviceItem = HousingItem });
        using (var read = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{property}"))
        {
            read.Headers.Add("CertLib-Purpose", Uri.EscapeDataString("窗口核验"));
            using var response = await _civil.SendAsync(read);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await SetConsentRequiredAsync(citizen, true);
        using (var refused = await _civil.PostAsJsonAsync(Lookup, new { idNumber = ApiFactory.HolderNumber, purpose = "婚姻登记" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var log = await ApiFactory.JsonAsync(await citizen.GetAsync("/api/v1/me/access-log"));
        var page2 = await ApiFactory.JsonAsync(await citizen.GetAsync("/api/v1/me/access-log?page=2&pageSize=1"));
        using var badPage = await citizen.GetAsync("/api/v1/me/access-log?pageSize=101");

        Assert.Equal(3, log.GetProperty("total").GetInt64());
        var items = log.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["lookup", "read", "lookup"], items.Select(i => i.GetProperty("action").GetString()));
        Assert.Equal(["consent-required", "ok", "ok"], items.Select(i => i.GetProperty("result").GetString()));
        Assert.Equal("婚姻登记", items[0].GetProperty("purpose").GetString());
        Assert.Empty(items[0].GetProperty("certificateIds").EnumerateArray());
        Assert.Equal(ApiFactory.CivilAffairs, items[1].GetProperty("department").GetProperty("code").GetString());
        Assert.Equal("窗口核验", items[1].GetProperty("purpose").GetString());
        Assert.Equal([property], items[1].GetProperty("certificateIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(ApiFactory.Housing, items[2].GetProperty("department").GetProperty("code").GetString());
        Assert.Equal("住房和城乡建设部", items[2].GetProperty("department").GetProperty("name").GetString());
        Assert.Equal(HousingItem, items[2].GetProperty("serviceItem").GetString());
        Assert.Equal("公积金提取", items[2].GetProperty("purpose").GetString());
        Assert.Equal([property], items[2].GetProperty("certificateIds").EnumerateArray().Select(e => e.GetString()));
        Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("clientId").GetString())));
        Assert.True(items[0].GetProperty("at").GetDateTimeOffset() >= items[2].GetProperty("at").GetDateTimeOffset());
        Assert.Equal(items[1].GetProperty("id").GetString(), Assert.Single(page2.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        await AssertValidationAsync(badPage, "pageSize");
        Assert.DoesNotContain(ApiFactory.HolderNumber, log.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessLog_SqliteTriggersRefuseUpdateAndDelete()
    {
        await IssueAsync(_housing, PropertyRequest(ApiFactory.HolderNumber));
        await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "公积金提取" });

        await using var connection = new SqliteConnection($"Data Source={_factory.DatabasePath}");
        await connection.OpenAsync();
        var update = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, "UPDATE access_log SET purpose = 'altered'"));
        var delete = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, "DELETE FROM access_log"));
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM access_log WHERE purpose = '公积金提取'";

        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Me_DepartmentToken_403InsufficientScope()
    {
        using var response = await _housing.GetAsync("/api/v1/me/access-log");

        // A department (client-credentials) token never carries the citizen API scopes.
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("urn:certlib:problem:insufficient-scope", (await ApiFactory.JsonAsync(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Me_Certificates_ListsOwnCurrentCertificates()
    {
        var marriage = await IssueAsync(_civil, ApiFactory.MarriageRequest());
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);

        var list = await ApiFactory.JsonAsync(await citizen.GetAsync("/api/v1/me/certificates"));

        Assert.Equal(marriage, Assert.Single(list.EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task StatusReason_FreeTextWithIdentityNumber_PublicSurfacesCarryOnlyTheCode_IssuerHolderAdminSeeText()
    {
        const string Number = "110101198001010053";
        const string Text = "持证人" + Number + "申请暂停";
        var id = await IssueAsync(_civil, ApiFactory.MarriageRequest());
        var citizen = await CitizenAsync(ApiFactory.HolderNumber);
        var admin = await _factory.ClientForAsync(null, "certlib.admin");
        using var anonymous = _factory.CreateClient();

        using var suspended = await _civil.PostAsJsonAsync($"/api/v1/certificates/{id}/suspend", new { reasonCode = "holderRequest", reason = Text });

        Assert.True(suspended.StatusCode == HttpStatusCode.OK, await suspended.Content.ReadAsStringAsync());
        var signature = (await ApiFactory.JsonAsync(suspended)).GetProperty("signature");
        var size = (await ApiFactory.JsonAsync(await anonymous.GetAsync("/api/v1/log/tree-head"))).GetProperty("treeSize").GetInt64();
        var log = await (await anonymous.GetAsync($"/api/v1/log/entries?start=0&end={size}")).Content.ReadAsStringAsync();
        var leaves = string.Concat(JsonDocument.Parse(log).RootElement.GetProperty("entries").EnumerateArray()
            .Select(e => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(e.GetProperty("leafInput").GetString()!))));
        var last = JsonDocument.Parse(log).RootElement.GetProperty("entries").EnumerateArray().Last().GetProperty("entry");
        using var verify = await anonymous.PostAsJsonAsync("/api/v1/verify", new { jws = signature });
        var verifyText = await verify.Content.ReadAsStringAsync();
        foreach (var exposed in new[] { log, leaves, verifyText })
        {
            Assert.DoesNotContain(Number, exposed, StringComparison.Ordinal);
            Assert.DoesNotContain("申请暂停", exposed, StringComparison.Ordinal);
        }

        Assert.Equal(("suspend", 2, "holderRequest"), (last.GetProperty("eventType").GetString(), last.GetProperty("v").GetInt32(), last.GetProperty("reasonCode").GetString()));
        Assert.False(last.TryGetProperty("reason", out _));
        var verified = JsonDocument.Parse(verifyText).RootElement;
        Assert.Equal("suspended", verified.GetProperty("result").GetString());
        Assert.Contains("reasonCode: holderRequest", verified.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        foreach (var (reader, sees) in new[] { (_civil, true), (admin, true), (_housing, false) })
        {
            var read = await ApiFactory.JsonAsync(await reader.GetAsync($"/api/v1/certificates/{id}"));
            Assert.Equal("holderRequest", read.GetProperty("statusReasonCode").GetString());
            Assert.Equal(sees ? Text : null, read.GetProperty("statusReason").GetString());
        }

        var lookedUp = (await LookupOkAsync(_housing, new { idNumber = ApiFactory.HolderNumber, purpose = "婚姻状况核查" })).GetProperty("certificates").EnumerateArray().Single();
        Assert.Equal(("holderRequest", JsonValueKind.Null), (lookedUp.GetProperty("statusReasonCode").GetString(), lookedUp.GetProperty("statusReason").ValueKind));
        var mine = Assert.Single((await ApiFactory.JsonAsync(await citizen.GetAsync("/api/v1/me/certificates"))).EnumerateArray());
        Assert.Equal(("holderRequest", Text), (mine.GetProperty("statusReasonCode").GetString(), mine.GetProperty("statusReason").GetString()));
    }

    [Theory]
    [InlineData("{\"reasonCode\":\"lost\",\"reason\":\"证件遗失\"}")]
    [InlineData("{\"reasonCode\":\"superseded\"}")]
    [InlineData("{}")]
    public async Task StatusChange_UnknownReservedOrMissingReasonCode_400NamingReasonCode_NothingChanged(string body)
    {
        var id = await IssueAsync(_civil, ApiFactory.MarriageRequest());
        var size = (await ApiFactory.JsonAsync(await _civil.GetAsync("/api/v1/log/tree-head"))).GetProperty("treeSize").GetInt64();

        using var response = await _civil.PostAsync($"/api/v1/certificates/{id}/revoke", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await AssertValidationAsync(response, "reasonCode");
        Assert.Equal("valid", (await ApiFactory.JsonAsync(await _civil.GetAsync($"/api/v1/certificates/{id}"))).GetProperty("status").GetString());
        Assert.Equal(size, (await ApiFactory.JsonAsync(await _civil.GetAsync("/api/v1/log/tree-head"))).GetProperty("treeSize").GetInt64());
    }

    [Fact]
    public async Task ServiceItems_AdminCreates_PublicCatalogueLists_ValidationAndRights()
    {
        var admin = await _factory.ClientForAsync(null, "certlib.admin");
        var item = new
        {
            code = "TEST-001",
            name = "结婚登记后不动产变更",
            requiredMaterials = new object[] { new { typeCode = ApiFactory.MarriageType, required = true }, new { typeCode = PropertyType, required = false } },
            guide = new { legalBasis = "《不动产登记暂行条例》", acceptingUnit = "不动产登记中心", timeLimitDays = 10 },
        };

        using var created = await admin.PostAsJsonAsync("/api/v1/admin/service-items", item);
        using var duplicate = await admin.PostAsJsonAsync("/api/v1/admin/service-items", item);
        using var notAdmin = await _housing.PostAsJsonAsync("/api/v1/admin/service-items", item);
        using var invalid = await admin.PostAsJsonAsync("/api/v1/admin/service-items", new
        {
            code = "bad code!",
            name = "",
            requiredMaterials = new object[] { new { typeCode = ApiFactory.CivilAffairs + "999" } },
            guide = new { legalBasis = "x", acceptingUnit = "y", timeLimitDays = -1 },
        });
        var anonymous = _factory.CreateClient();
        var catalogue = await ApiFactory.JsonAsync(await anonymous.GetAsync("/api/v1/service-items"));
        var one = await ApiFactory.JsonAsync(await anonymous.GetAsync("/api/v1/service-items/TEST-001"));
        using var missing = await anonymous.GetAsync("/api/v1/service-items/NOPE");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        var errors = await AssertValidationAsync(invalid, "code");
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("requiredMaterials[0].typeCode", out _));
        Assert.True(errors.TryGetProperty("guide.timeLimitDays", out _));
        Assert.Equal(["DEMO-CA-001", "DEMO-HF-001", "DEMO-MR-001", "TEST-001"], catalogue.EnumerateArray().Select(i => i.GetProperty("code").GetString()!));
        Assert.Equal("结婚证", one.GetProperty("requiredMaterials")[0].GetProperty("typeName").GetString());
        Assert.Equal(10, one.GetProperty("guide").GetProperty("timeLimitDays").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static object PropertyRequest(string idNumber, DateTimeOffset? validFrom = null, DateTimeOffset? validUntil = null) => new
    {
        typeCode = PropertyType,
        holder = new { idNumber, name = "张小三" },
        number = "P" + Guid.NewGuid().ToString("N")[..10],
        validFrom,
        validUntil,
        fields = new { address = "北京市西城区金融街1号", area = 89.5 },
    };

    private static object DisabilityRequest(string idNumber) => new
    {
        typeCode = DisabilityType,
        holder = new { idNumber, name = "张小三" },
        number = "D" + Guid.NewGuid().ToString("N")[..10],
        fields = new { category = "肢体", grade = 2 },
    };

    private static async Task<string> IssueAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/certificates", request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiFactory.JsonAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> LookupOkAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync(Lookup, request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await ApiFactory.JsonAsync(response);
    }

    private static List<string> Ids(JsonElement lookup) =>
        [.. lookup.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("id").GetString()!)];

    private static async Task<JsonElement> AssertValidationAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await ApiFactory.JsonAsync(response);
        Assert.Equal("urn:certlib:problem:validation", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), problem.GetRawText());
        return errors;
    }

    private static string WithoutTraceId(JsonElement problem) =>
        string.Join("|", problem.EnumerateObject().Where(p => p.Name != "traceId").Select(p => p.Name + "=" + p.Value.GetRawText()));

    private Task<HttpClient> CitizenAsync(string idNumber) => _factory.CitizenClientAsync(idNumber);

    private static async Task SetConsentRequiredAsync(HttpClient citizen, bool required)
    {
        using var response = await citizen.PutAsJsonAsync("/api/v1/me/settings", new { consentRequired = required });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal(required, (await ApiFactory.JsonAsync(response)).GetProperty("consentRequired").GetBoolean());
    }

    private static async Task<string> GrantAsync(HttpClient citizen, object consent)
    {
        using var response = await citizen.PostAsJsonAsync("/api/v1/me/consents", consent);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await ApiFactory.JsonAsync(response);
        Assert.Equal("active", body.GetProperty("state").GetString());
        return body.GetProperty("id").GetString()!;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
