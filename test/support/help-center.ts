// Arrange helpers for the help center, through the API.
import { expect } from "vitest";
import type { DocketClient, Schemas } from "../../sdk/index.ts";

/** A category with one section, made by staff. */
export async function section(client: DocketClient, name = "Accounts"): Promise<{ category: Schemas["HelpCenterCategory"]; section: Schemas["HelpCenterSection"] }> {
  const category = await client.POST("/v1/help-center/categories", { body: { name: `${name} category` } });
  expect(category.error, JSON.stringify(category.error)).toBeUndefined();
  const created = await client.POST("/v1/help-center/sections", { body: { categoryId: category.data!.id, name } });
  expect(created.error, JSON.stringify(created.error)).toBeUndefined();
  return { category: category.data!, section: created.data! };
}

export async function draft(client: DocketClient, body: Schemas["HelpCenterArticleCreate"]): Promise<Schemas["HelpCenterArticle"]> {
  const { data, error, response } = await client.POST("/v1/help-center/articles", { body });
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(response.status).toBe(201);
  return data!;
}

export async function publish(client: DocketClient, articleId: string): Promise<Schemas["HelpCenterArticle"]> {
  const { data, error } = await client.POST("/v1/help-center/articles/{articleId}/publish", { params: { path: { articleId } } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

/** A published article. */
export async function article(client: DocketClient, body: Schemas["HelpCenterArticleCreate"]): Promise<Schemas["HelpCenterArticle"]> {
  return publish(client, (await draft(client, body)).id);
}

export function publicArticle(tenantSlug: string, articleId: string) {
  return { params: { path: { tenantSlug, articleId } } };
}
