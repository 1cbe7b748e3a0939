import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { HelpCenterService } from "./service.ts";
import type { PublicTenants } from "./public-tenants.ts";

type HelpCenterOperations =
  | "listHelpCenterCategories"
  | "createHelpCenterCategory"
  | "getHelpCenterCategory"
  | "updateHelpCenterCategory"
  | "deleteHelpCenterCategory"
  | "listHelpCenterSections"
  | "createHelpCenterSection"
  | "getHelpCenterSection"
  | "updateHelpCenterSection"
  | "deleteHelpCenterSection"
  | "listHelpCenterArticles"
  | "createHelpCenterArticle"
  | "getHelpCenterArticle"
  | "updateHelpCenterArticle"
  | "deleteHelpCenterArticle"
  | "publishHelpCenterArticle"
  | "unpublishHelpCenterArticle"
  | "voteOnHelpCenterArticle"
  | "searchHelpCenter"
  | "listSuggestedArticles"
  | "listPublicHelpCenterCategories"
  | "listPublicHelpCenterSections"
  | "listPublicHelpCenterArticles"
  | "listPopularHelpCenterArticles"
  | "getPublicHelpCenterArticle"
  | "votePublicHelpCenterArticle"
  | "searchPublicHelpCenter"
  | "suggestPublicHelpCenterArticles";

export function helpCenterHandlers(helpCenter: HelpCenterService, publicTenants: PublicTenants): Pick<Handlers, HelpCenterOperations> {
  /** Public operations: the tenant comes from the slug, and its scope covers everything the service awaits. */
  const asTenant = async <T>(slug: string, work: (tenantId: string) => Promise<T>): Promise<T> => {
    const tenantId = await publicTenants.resolve(slug);
    return tenantScope.run(tenantId, () => work(tenantId));
  };
  return {
    listHelpCenterCategories: async (request) => helpCenter.listCategories(callerOf(request).tenantId, request.query),
    createHelpCenterCategory: async (request, reply) => {
      reply.status(201);
      return helpCenter.createCategory(callerOf(request), request.body, request.id);
    },
    getHelpCenterCategory: async (request) => helpCenter.getCategory(callerOf(request).tenantId, request.params.categoryId),
    updateHelpCenterCategory: async (request) => helpCenter.updateCategory(callerOf(request), request.params.categoryId, request.body, request.id),
    deleteHelpCenterCategory: async (request, reply) => {
      await helpCenter.deleteCategory(callerOf(request), request.params.categoryId, request.id);
      reply.status(204);
    },
    listHelpCenterSections: async (request) => helpCenter.listSections(callerOf(request).tenantId, request.query),
    createHelpCenterSection: async (request, reply) => {
      reply.status(201);
      return helpCenter.createSection(callerOf(request), request.body, request.id);
    },
    getHelpCenterSection: async (request) => helpCenter.getSection(callerOf(request).tenantId, request.params.sectionId),
    updateHelpCenterSection: async (request) => helpCenter.updateSection(callerOf(request), request.params.sectionId, request.body, request.id),
    deleteHelpCenterSection: async (request, reply) => {
      await helpCenter.deleteSection(callerOf(request), request.params.sectionId, request.id);
      reply.status(204);
    },
    listHelpCenterArticles: async (request) => helpCenter.listArticles(callerOf(request), request.query),
    createHelpCenterArticle: async (request, reply) => {
      reply.status(201);
      return helpCenter.createArticle(callerOf(request), request.body, request.id);
    },
    getHelpCenterArticle: async (request) => helpCenter.getArticle(callerOf(request), request.params.articleId),
    updateHelpCenterArticle: async (request) => helpCenter.updateArticle(callerOf(request), request.params.articleId, request.body, request.id),
    deleteHelpCenterArticle: async (request, reply) => {
      await helpCenter.deleteArticle(callerOf(request), request.params.articleId, request.id);
      reply.status(204);
    },
    publishHelpCenterArticle: async (request) => helpCenter.publishArticle(callerOf(request), request.params.articleId, request.id),
    unpublishHelpCenterArticle: async (request) => helpCenter.unpublishArticle(callerOf(request), request.params.articleId, request.id),
    voteOnHelpCenterArticle: async (request) => {
      const principal = callerOf(request);
      return helpCenter.vote(principal.tenantId, request.params.articleId, { kind: "user", principal }, request.body.value, request.id);
    },
    searchHelpCenter: async (request) => helpCenter.search(callerOf(request).tenantId, request.query),
    listSuggestedArticles: async (request) => helpCenter.suggestForTicket(callerOf(request), request.params.ticketId, request.query),

    listPublicHelpCenterCategories: async (request) => asTenant(request.params.tenantSlug, (tenantId) => helpCenter.listCategories(tenantId, request.query)),
    listPublicHelpCenterSections: async (request) => asTenant(request.params.tenantSlug, (tenantId) => helpCenter.listSections(tenantId, request.query)),
    listPublicHelpCenterArticles: async (request) => asTenant(request.params.tenantSlug, (tenantId) => helpCenter.listPublishedArticles(tenantId, request.query)),
    listPopularHelpCenterArticles: async (request) => asTenant(request.params.tenantSlug, (tenantId) => helpCenter.popular(tenantId, request.query)),
    getPublicHelpCenterArticle: async (request) => asTenant(request.params.tenantSlug, (tenantId) => helpCenter.readPublished(tenantId, request.params.articleId)),
    votePublicHelpCenterArticle: async (request) =>
      asTenant(request.params.tenantSlug, (tenantId) =>
        helpCenter.vote(tenantId, request.params.articleId, { kind: "visitor", visitorId: request.body.visitorId }, request.body.value, request.id),
      ),
    searchPublicHelpCenter: async (request) => asTenant(request.params.tenantSlug, (tenantId) => helpCenter.search(tenantId, request.query)),
    suggestPublicHelpCenterArticles: async (request) => asTenant(request.params.tenantSlug, (tenantId) => helpCenter.suggest(tenantId, request.body)),
  };
}
