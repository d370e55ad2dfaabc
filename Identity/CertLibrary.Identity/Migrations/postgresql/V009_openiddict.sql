-- OpenIddict's stores (SPEC §9): applications, authorizations, tokens and scopes of its EF Core model, under this module's
-- names. Generated once with EF Core's GenerateCreateScript for this dialect and checked in: the project runs its own SQL
-- migrations, never EF migrations. An application row is written by ClientManager in the transaction that writes its
-- identity_clients row (same client id as Id). The hand-written codes and refresh tokens (identity_grants) are gone.
CREATE TABLE IF NOT EXISTS identity_oidc_applications (
    "Id" text NOT NULL,
    "ApplicationType" character varying(50),
    "ClientId" character varying(100),
    "ClientSecret" text,
    "ClientType" character varying(50),
    "ConcurrencyToken" character varying(50),
    "ConsentType" character varying(50),
    "DisplayName" text,
    "DisplayNames" text,
    "JsonWebKeySet" text,
    "Permissions" text,
    "PostLogoutRedirectUris" text,
    "Properties" text,
    "RedirectUris" text,
    "Requirements" text,
    "Settings" text,
    CONSTRAINT "PK_identity_oidc_applications" PRIMARY KEY ("Id")
);
CREATE TABLE IF NOT EXISTS identity_oidc_scopes (
    "Id" text NOT NULL,
    "ConcurrencyToken" character varying(50),
    "Description" text,
    "Descriptions" text,
    "DisplayName" text,
    "DisplayNames" text,
    "Name" character varying(200),
    "Properties" text,
    "Resources" text,
    CONSTRAINT "PK_identity_oidc_scopes" PRIMARY KEY ("Id")
);
CREATE TABLE IF NOT EXISTS identity_oidc_authorizations (
    "Id" text NOT NULL,
    "ApplicationId" text,
    "ConcurrencyToken" character varying(50),
    "CreationDate" timestamp with time zone,
    "Properties" text,
    "Scopes" text,
    "Status" character varying(50),
    "Subject" character varying(400),
    "Type" character varying(50),
    CONSTRAINT "PK_identity_oidc_authorizations" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_identity_oidc_authorizations_identity_oidc_applications_App~" FOREIGN KEY ("ApplicationId") REFERENCES identity_oidc_applications ("Id")
);
CREATE TABLE IF NOT EXISTS identity_oidc_tokens (
    "Id" text NOT NULL,
    "ApplicationId" text,
    "AuthorizationId" text,
    "ConcurrencyToken" character varying(50),
    "CreationDate" timestamp with time zone,
    "ExpirationDate" timestamp with time zone,
    "Payload" text,
    "Properties" text,
    "RedemptionDate" timestamp with time zone,
    "ReferenceId" character varying(100),
    "Status" character varying(50),
    "Subject" character varying(400),
    "Type" character varying(150),
    CONSTRAINT "PK_identity_oidc_tokens" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_identity_oidc_tokens_identity_oidc_applications_Application~" FOREIGN KEY ("ApplicationId") REFERENCES identity_oidc_applications ("Id"),
    CONSTRAINT "FK_identity_oidc_tokens_identity_oidc_authorizations_Authoriza~" FOREIGN KEY ("AuthorizationId") REFERENCES identity_oidc_authorizations ("Id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "IX_identity_oidc_applications_ClientId" ON identity_oidc_applications ("ClientId");
CREATE INDEX IF NOT EXISTS "IX_identity_oidc_authorizations_ApplicationId_Status_Subject_T~" ON identity_oidc_authorizations ("ApplicationId", "Status", "Subject", "Type");
CREATE UNIQUE INDEX IF NOT EXISTS "IX_identity_oidc_scopes_Name" ON identity_oidc_scopes ("Name");
CREATE INDEX IF NOT EXISTS "IX_identity_oidc_tokens_ApplicationId_Status_Subject_Type" ON identity_oidc_tokens ("ApplicationId", "Status", "Subject", "Type");
CREATE INDEX IF NOT EXISTS "IX_identity_oidc_tokens_AuthorizationId" ON identity_oidc_tokens ("AuthorizationId");
CREATE UNIQUE INDEX IF NOT EXISTS "IX_identity_oidc_tokens_ReferenceId" ON identity_oidc_tokens ("ReferenceId");
DROP TABLE IF EXISTS identity_grants;
