import { graphql } from '../graphql'

export const CURRENT_USER = graphql(`
  query CurrentUser {
    currentUser {
      id
      username
      displayName
      siteAdmin
      url
    }
  }
`)
